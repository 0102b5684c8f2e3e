#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "config/result.hpp"

namespace sm::config {

// Data of cordons/<hostId> (PERSISTENT, so that it outlives the host's session and its daemon's
// restarts): the host gets no new placements while it exists; what runs there keeps running.
// {"format":1,"since":<ms since the epoch>,"reason":"..."[,"drain":true,"movePersistent":true]}.
struct CordonData {
  std::int64_t since = 0;
  std::string reason;  // the operator's, may be empty
  // servicesctl drain: every instance moves off the host too (masters hand over first; a
  // replacement is registered elsewhere before the instance stops, when a host can take it).
  bool drain = false;
  // With drain: persistent instances get new identities elsewhere; without, they stop and keep
  // their identity (and data) for this host.
  bool movePersistent = false;
  bool operator==(const CordonData&) const = default;
};

std::string encodeCordonData(const CordonData& data);
Result<CordonData> decodeCordonData(std::string_view data, std::string_view znodePath);

}  // namespace sm::config

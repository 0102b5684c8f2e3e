#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "config/result.hpp"

namespace sm::config {

// Data of assignments/<hostId>/<type>_logicalService<seq> (flat placement): the holder of the
// type's config monitor names this host as a candidate for one replica of the logical service.
// The host queues for the create-lock `delayMs` after it first sees the assignment (a second
// replica on one host waits, so that a host that comes back can take it instead), and removes the
// assignment in the multi() that registers the replica, or when it declines.
// {"format":1,"assigned":<ms>,"delayMs":<ms>}.
struct AssignmentData {
  std::int64_t assigned = 0;  // milliseconds since the Unix epoch
  std::int64_t delayMs = 0;
  bool operator==(const AssignmentData&) const = default;
};

std::string encodeAssignmentData(const AssignmentData& data);
Result<AssignmentData> decodeAssignmentData(std::string_view data, std::string_view znodePath);

}  // namespace sm::config

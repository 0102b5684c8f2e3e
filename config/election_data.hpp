#pragma once

#include <string>
#include <string_view>

#include "config/result.hpp"

namespace sm::config {

// Data of .../election/lock-<uuid>-<seq>: {"format":1,"physical":"<uuid>","host":"<hostId>"}.
struct ElectionData {
  std::string physical;  // uuid of the physical service standing for election
  std::string host;
  bool operator==(const ElectionData&) const = default;
};

std::string encodeElectionData(const ElectionData& data);
Result<ElectionData> decodeElectionData(std::string_view data, std::string_view znodePath);

}  // namespace sm::config

#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "config/result.hpp"

namespace sm::config {

// Data of a lock child (lock-<uuid>-<seq>) under locks/serviceConfigMonitor/<type>/
// ({"format":1,"host"}) and under locks/createPhysicalService/<name>/
// ({"format":1,"host","score"}).
struct LockContenderData {
  std::string host;
  std::optional<double> score;  // placement score of the host; unset for the config monitor lock
  bool operator==(const LockContenderData&) const = default;
};

std::string encodeLockContenderData(const LockContenderData& data);
Result<LockContenderData> decodeLockContenderData(std::string_view data,
                                                  std::string_view znodePath);

}  // namespace sm::config

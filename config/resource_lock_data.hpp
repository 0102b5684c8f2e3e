#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/result.hpp"

namespace sm::config {

// Data of a contender under locks/resources/<name>/ (lock-<uuid>-<seq>, EPHEMERAL_SEQUENTIAL,
// owned by the session of the daemon that holds or waits for the lock on a managed process's
// behalf): who asked. {"format":1,"type","logical","uuid","host","pid","queued"[,"heldSince"]}.
// The lowest sequence holds the lock; its sequence is the holder's fencing token.
struct ResourceLockData {
  std::string type;          // the managed process's service type
  std::int64_t logical = 0;  // its logical service's sequence
  std::string uuid;          // its physical service
  std::string host;          // the daemon's host id
  std::int64_t pid = 0;      // the process that asked (the managed process or a descendant)
  std::int64_t queued = 0;   // ms since the epoch: when it asked
  // ms since the epoch: when its daemon told it that it holds the lock (set once, by that daemon).
  std::optional<std::int64_t> heldSince;
  bool operator==(const ResourceLockData&) const = default;
};

std::string encodeResourceLockData(const ResourceLockData& data);
Result<ResourceLockData> decodeResourceLockData(std::string_view data, std::string_view znodePath);

}  // namespace sm::config

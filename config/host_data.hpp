#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "config/result.hpp"

namespace sm::config {

struct HostCapacity {
  std::int64_t cpus = 0;
  std::int64_t memoryMB = 0;      // total
  std::int64_t freeMemoryMB = 0;  // available when last written (constraints.minFreeMemoryMB)
  bool operator==(const HostCapacity&) const = default;
};

// Data of hosts/<hostId> (ephemeral, one per manager):
// {"format":1,"labels":{..},"capacity":{"cpus","memoryMB","freeMemoryMB"},"load","running","version","started"}.
struct HostData {
  std::map<std::string, std::string> labels;  // matched by constraints.hostLabels
  HostCapacity capacity;
  double load = 0;           // 1-minute load average (constraints.maxLoadAverage)
  std::int64_t running = 0;  // managed processes on the host
  std::string version;       // servicesmgr version of the manager
  std::int64_t started = 0;  // milliseconds since the Unix epoch
  bool operator==(const HostData&) const = default;
};

std::string encodeHostData(const HostData& data);
Result<HostData> decodeHostData(std::string_view data, std::string_view znodePath);

}  // namespace sm::config

#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>
#include <string_view>

#include "config/result.hpp"

namespace sm::config {

struct HostCapacity {
  std::int64_t cpus = 0;
  std::int64_t memoryMB = 0;      // total
  std::int64_t freeMemoryMB = 0;  // available when last written (constraints.minFreeMemoryMB)
  bool operator==(const HostCapacity&) const = default;
};

// A service type this host will not take until `until`, because its instances crash-looped here:
// other hosts are tried meanwhile, and the config monitor shows the reason in `status`.
struct HostCooldown {
  std::string type;
  std::int64_t until = 0;  // milliseconds since the Unix epoch
  std::string reason;      // e.g. "crash loop: 5 exits in 60 s"
  bool operator==(const HostCooldown&) const = default;
};

// Data of hosts/<hostId> (ephemeral, one per manager):
// {"format":1,"labels":{..},"capacity":{"cpus","memoryMB","freeMemoryMB"},"load","running","version","started"[,"cooldowns":[{type,until,reason}]][,"address"][,"http"]}.
struct HostData {
  std::map<std::string, std::string> labels;  // matched by constraints.hostLabels
  HostCapacity capacity;
  double load = 0;           // 1-minute load average (constraints.maxLoadAverage)
  std::int64_t running = 0;  // managed processes on the host
  std::string version;       // servicesmgr version of the manager
  std::int64_t started = 0;  // milliseconds since the Unix epoch
  std::vector<HostCooldown> cooldowns;  // optional in the document; written only when non-empty
  // Where the host's services are reached (peers' endpoints); optional in the document, "" = the
  // host id.
  std::string address;
  // "address:port" of the daemon's read-only HTTP endpoint (--http); optional in the document,
  // "" = none. servicesctl logs fetches an instance's log there.
  // (The initializer keeps positional initializations free of -Wmissing-field-initializers.)
  std::string http = {};
  bool operator==(const HostData&) const = default;
};

std::string encodeHostData(const HostData& data);
Result<HostData> decodeHostData(std::string_view data, std::string_view znodePath);

}  // namespace sm::config

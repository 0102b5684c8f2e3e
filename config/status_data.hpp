#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "config/result.hpp"

namespace sm::config {

// Why one host cannot take a replica, e.g. {"host":"ds2","reason":"denyHosts matches \"ds2\""}.
struct HostReason {
  std::string host;
  std::string reason;
  bool operator==(const HostReason&) const = default;
};

// A recent exit or failed start of an instance.
struct FailureRecord {
  std::int64_t time = 0;  // milliseconds since the Unix epoch
  std::string host;
  std::string message;  // e.g. "exited with status 1", "crash loop: 5 exits in 60 s"
  bool operator==(const FailureRecord&) const = default;
};

// Data of config/<type>/logicalService<seq>/status, written by the config monitor holder:
// {"format":1,"updated","wanted","registered","reason","hosts":[{host,reason}],"failures":[{time,host,message}]}.
struct StatusData {
  std::int64_t updated = 0;     // milliseconds since the Unix epoch
  std::int64_t wanted = 0;      // replicationCount when written
  std::int64_t registered = 0;  // physical services registered when written
  std::string reason;           // summary, empty when nothing is missing (e.g. "no feasible host")
  std::vector<HostReason> hosts;
  std::vector<FailureRecord> failures;  // most recent last
  bool operator==(const StatusData&) const = default;
};

std::string encodeStatusData(const StatusData& data);
Result<StatusData> decodeStatusData(std::string_view data, std::string_view znodePath);

}  // namespace sm::config

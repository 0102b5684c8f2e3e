#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "config/result.hpp"

namespace sm::config {

// One entry of a host's assignments of a type (below): the holder of the type's config monitor
// names this host as a candidate for one replica of a logical service. The host queues for the
// create-lock `delayMs` after it first sees the entry (a second replica on one host waits, so
// that a host that comes back can take it instead). `replicas` is how many replicas of the
// logical service the host had when named: once it has more, the entry is done.
struct AssignmentData {
  std::int64_t assigned = 0;  // milliseconds since the Unix epoch
  std::int64_t delayMs = 0;
  std::int64_t replicas = 0;
  bool operator==(const AssignmentData&) const = default;
};

// Data of assignments/<hostId>/<type> (flat placement): every logical service of the type this
// host is named for, by sequence, in one node that the monitor holder alone writes (a setData per
// host and pass that changes it, not a node per replica) and the host alone watches.
// {"format":1,"named":[{"logicalService":<seq>,"assigned":<ms>,"delayMs":<ms>,"replicas":<n>}]}.
struct AssignmentsData {
  std::map<std::int64_t, AssignmentData> named;  // by logical service sequence
  bool operator==(const AssignmentsData&) const = default;
};

// More would not fit one list of a znode document (config/limits.hpp): the holder names a host
// for at most this many logical services of one type at once.
inline constexpr std::size_t kMaxNamedPerNode = 1000;

std::string encodeAssignmentsData(const AssignmentsData& data);
Result<AssignmentsData> decodeAssignmentsData(std::string_view data, std::string_view znodePath);

}  // namespace sm::config

#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sm::zk {

// Names of queue members: "<prefix><uuid>-<10-digit sequence>". The uuid lets a client whose create
// was cut off by a connection loss find the node it may have made (Curator's "protected" mode); the
// sequence, appended by ZooKeeper, gives the order.
std::string protectedNamePrefix(std::string_view prefix, std::string_view uuid);
std::optional<int64_t> sequenceOf(std::string_view name);

struct QueueEntry {
  std::string name;
  int64_t sequence;
};

// The children that are queue members of this prefix, in queue order (by sequence, not by name:
// the uuid would otherwise decide the order).
std::vector<QueueEntry> queueOrder(const std::vector<std::string>& children,
                                   std::string_view prefix);

}  // namespace sm::zk

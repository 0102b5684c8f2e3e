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

// The order in which siblings are removed together (in one multi()): the highest sequence first,
// names without a sequence after them in their given order. A queue member then hears of its own
// node's removal before its predecessor's, so that the second in line never takes a removed queue
// for the departure of the first (QueueMember's fast path would make it first without a read,
// while the first has not yet heard that it is not).
bool removedBefore(std::string_view a, std::string_view b);
void sortForRemoval(std::vector<std::string>& siblings);  // std::stable_sort by removedBefore

}  // namespace sm::zk

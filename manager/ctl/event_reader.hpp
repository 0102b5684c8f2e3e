#pragma once
// Reads events/ through the one reader of the tree (manager/model): the newest events, of one
// type or all, for `servicesctl events` (and its --follow).

#include <cstdint>
#include <vector>

#include "config/layout.hpp"
#include "manager/model/cluster_snapshot.hpp"
#include "manager/model/tree_reader.hpp"
#include "manager/zk/session.hpp"
#include "manager/zk/watch_arming.hpp"

namespace sm::ctl {

struct EventPage {
  std::vector<model::EventView> events;  // oldest first
  std::int64_t newest = -1;  // the highest sequence listed (matching or not): the next `after`
};

// With `watches`, only the children of events/ are left watched (`events --follow` sleeps on them):
// events never change, and a watch on each would wake the follower on every trim. An event removed
// between the listing and its read (trimmed meanwhile) is skipped. Throws zk::ZkError.
EventPage readEvents(zk::Session& session, const config::Layout& layout,
                     const model::EventQuery& query, zk::WatchArming* watches = nullptr);

}  // namespace sm::ctl

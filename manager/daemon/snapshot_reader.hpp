#pragma once

#include <functional>
#include <string>

#include "config/layout.hpp"
#include "manager/daemon/model/cluster_snapshot.hpp"
#include "manager/zk/tree_cache.hpp"

namespace sm::daemon {

// Reads the observed state from the tree through the cache: a full read when something changed,
// no server request when nothing did. Undecodable data is kept as an error (and reported through
// `report`, once per znode and message), never thrown. ZooKeeper errors are thrown.
// Lock contenders are not read: placement decisions do not depend on who queues, and watching
// them would wake every manager on every enqueue.
ClusterSnapshot readSnapshot(
    zk::TreeCache& tree, const config::Layout& layout,
    const std::function<void(const std::string& path, const std::string& error)>& report);

}  // namespace sm::daemon

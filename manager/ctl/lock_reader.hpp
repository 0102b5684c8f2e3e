#pragma once
// Reads locks/resources/ through the one reader of the tree (manager/model): the cluster-wide locks
// the daemons hold for their managed processes (docs/locks.md), for `servicesctl get locks` and
// `describe`.
#include <optional>
#include <string>
#include <vector>

#include "config/layout.hpp"
#include "manager/model/cluster_snapshot.hpp"
#include "manager/zk/session.hpp"

namespace sm::ctl {

// Every lock (by name), or only `only`; nodes that vanish while it reads are skipped, data that
// cannot be decoded is kept as the contender's error. Throws zk::ZkError when ZooKeeper fails.
std::vector<model::ResourceLockView> readLocks(zk::Session& session, const config::Layout& layout,
                                               const std::optional<std::string>& only = std::nullopt);

}  // namespace sm::ctl

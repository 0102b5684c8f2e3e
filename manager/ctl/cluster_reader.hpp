#pragma once
#include <cstddef>
#include <optional>
#include <string>

#include "config/layout.hpp"
#include "manager/ctl/cluster_view.hpp"
#include "manager/zk/session.hpp"

namespace sm::ctl {

enum class WatchKind { Data, Children, Exists };

// Lets `watch` leave a one-shot watch on every node the reader reads. It hands out a watcher only
// for a node that has none armed yet, so that re-reading after every wake does not pile up watches.
class WatchArming {
 public:
  virtual ~WatchArming() = default;
  // An empty watcher when one is armed already.
  virtual zk::Watcher arm(const std::string& path, WatchKind kind) = 0;
  // The read did not leave the watch (the node was missing).
  virtual void disarm(const std::string& path, WatchKind kind) = 0;
};

struct ReadOptions {
  std::optional<std::string> type;  // only this service type (hosts and events are read anyway)
  bool hosts = true;
  std::size_t maxEvents = 0;  // the most recent events to read; 0 reads none
  bool identities = false;    // services/<type>/* (only `type`'s when it is set)
  WatchArming* watches = nullptr;
};

// Reads config, logical services, physical services, elections, status, hosts and events into plain
// structs. Nodes that vanish while it reads are skipped; data that cannot be decoded is reported
// beside its node. Throws zk::ZkError when ZooKeeper fails.
ClusterView readCluster(zk::Session& session, const config::Layout& layout,
                        const ReadOptions& options = {});

// The view of one service type (no hosts); throws CliError (exit 1) when config/<type> does not
// exist.
ClusterView readExistingType(zk::Session& session, const config::Layout& layout,
                             const std::string& type, std::size_t maxEvents = 0);

}  // namespace sm::ctl

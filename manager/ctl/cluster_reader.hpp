#pragma once
#include <cstddef>
#include <optional>
#include <string>

#include "config/layout.hpp"
#include "manager/model/cluster_snapshot.hpp"
#include "manager/model/tree_reader.hpp"
#include "manager/zk/session.hpp"
#include "manager/zk/watch_arming.hpp"

namespace sm::ctl {

// What a command reads: servicesctl's defaults over model::ReadScope.
struct ReadOptions {
  std::optional<std::string> type;  // only this service type (hosts and events are read anyway)
  bool hosts = true;                // hosts/ and cordons/
  std::optional<model::EventQuery> events;  // none read without one
  bool identities = false;                  // services/<type>/* (only `type`'s when it is set)
  // `watch` and `wait` leave a watch on every node read (ArmedWatches).
  zk::WatchArming* watches = nullptr;
};

// Reads the tree into the one model (model::readSnapshot) as an observer: with each election
// member's data and each logical service's data, which the tables show. Syncs first, so that the
// read sees every write acknowledged before the command started. Data that cannot be decoded is
// kept beside its node; ZooKeeper failures throw zk::ZkError.
model::ClusterSnapshot readCluster(zk::Session& session, const config::Layout& layout,
                                   const ReadOptions& options = {});

// The snapshot of one service type (no hosts), with its identities; throws CliError (exit 1) when
// config/<type> does not exist.
model::ClusterSnapshot readExistingType(zk::Session& session, const config::Layout& layout,
                                        const std::string& type,
                                        std::optional<model::EventQuery> events = std::nullopt);

}  // namespace sm::ctl

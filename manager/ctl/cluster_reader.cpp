#include "manager/ctl/cluster_reader.hpp"

#include <fmt/format.h>

#include "manager/ctl/cli_error.hpp"
#include "manager/model/tree_reader.hpp"
#include "manager/zk/session_reader.hpp"

namespace sm::ctl {

model::ClusterSnapshot readCluster(zk::Session& session, const config::Layout& layout,
                                   const ReadOptions& options) {
  session.sync(layout.root());
  model::ReadScope scope;
  scope.type = options.type;
  scope.hosts = options.hosts;
  scope.identities = options.identities;
  // No command shows who queues to place an instance; `watch` need not wake for it either.
  scope.createLocks = false;
  scope.observer = true;
  scope.events = options.events;
  zk::SessionReader tree(session, options.watches);
  return model::readSnapshot(tree, layout, scope);
}

model::ClusterSnapshot readExistingType(zk::Session& session, const config::Layout& layout,
                                        const std::string& type,
                                        std::optional<model::EventQuery> events) {
  ReadOptions read;
  read.type = type;
  read.hosts = false;
  read.events = std::move(events);
  read.identities = true;
  auto snapshot = readCluster(session, layout, read);
  if (!snapshot.type(type)) {
    throw operationFailed(fmt::format("service type \"{}\" not found", type));
  }
  return snapshot;
}

}  // namespace sm::ctl

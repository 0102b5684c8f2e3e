#include "tests/chaos/chaos_tree.hpp"

#include "config/election_data.hpp"
#include "config/physical_service_data.hpp"
#include "config/service_type_codec.hpp"
#include "manager/zk/election.hpp"
#include "manager/zk/path.hpp"

namespace sm::test::chaos {

TreeView readTreeView(zk::Session& session, const config::Layout& layout) {
  TreeView view;
  if (auto hosts = session.children(layout.hostsDir())) {
    for (const auto& id : *hosts) {
      if (auto stat = session.exists(layout.host(id))) view.hostOwners[id] = stat->ephemeralOwner;
    }
  }
  auto typeNames = session.children(layout.configDir());
  if (!typeNames) return view;
  for (const auto& name : *typeNames) {
    const std::string typePath = layout.serviceType(name);
    auto typeNode = session.get(typePath);
    if (!typeNode) continue;
    TypeView type;
    type.decoded = config::decodeServiceType(typeNode->data, typePath).ok();
    auto children = session.children(typePath);
    if (!children) continue;
    for (const auto& child : *children) {
      auto sequence = config::Layout::parseLogicalServiceName(child);
      if (!sequence) continue;
      const config::LogicalServiceId id{name, *sequence};
      LogicalView logical;
      logical.key = name + "/" + child;
      if (auto physical = session.children(layout.physicalServicesDir(id))) {
        for (const auto& p : *physical) {
          auto uuid = config::Layout::parsePhysicalServiceName(p);
          if (!uuid) continue;
          RegisteredInstance instance;
          instance.uuid = *uuid;
          instance.path = layout.physicalService({id, *uuid});
          auto node = session.get(instance.path);
          if (!node) continue;
          instance.owner = node->stat.ephemeralOwner;
          auto data = config::decodePhysicalServiceData(node->data, instance.path);
          if (data.ok()) {
            instance.decoded = true;
            instance.host = data.value().host;
            instance.pid = data.value().pid;
            instance.state = std::string(config::physicalStateName(data.value().state));
          }
          logical.instances[*uuid] = instance;
        }
      }
      const std::string electionDir = layout.electionDir(id);
      for (auto& member : zk::Election::members(session, electionDir)) {
        ElectionMember entry;
        entry.path = zk::childPath(electionDir, member.name);
        entry.sequence = member.sequence;
        auto stat = session.exists(entry.path);
        if (!stat) continue;
        entry.owner = stat->ephemeralOwner;
        auto data = config::decodeElectionData(member.data, entry.path);
        if (data.ok()) {
          entry.decoded = true;
          entry.physical = data.value().physical;
          entry.host = data.value().host;
        }
        logical.election.push_back(entry);
      }
      type.logical[*sequence] = std::move(logical);
    }
    view.types[name] = std::move(type);
  }
  return view;
}

}  // namespace sm::test::chaos

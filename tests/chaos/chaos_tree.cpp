#include "tests/chaos/chaos_tree.hpp"

#include "config/names.hpp"
#include "manager/model/tree_reader.hpp"
#include "manager/zk/session_reader.hpp"

namespace sm::test::chaos {

// Read by the one reader into the one model (manager/model) as an observer, which also reads every
// election member's owner session; flattened here into what the checker judges.
TreeView readTreeView(zk::Session& session, const config::Layout& layout) {
  zk::SessionReader reader(session);
  model::ReadScope scope;
  scope.observer = true;
  scope.identities = false;
  scope.createLocks = false;
  const auto tree = model::readSnapshot(reader, layout, scope);
  TreeView view;
  for (const auto& [id, host] : tree.hosts) view.hostOwners[id] = host.ephemeralOwner;
  for (const auto& [name, typeView] : tree.types) {
    if (config::checkServiceTypeName(name)) continue;  // not a type's node at all
    TypeView type;
    type.decoded = typeView.stored.has_value();
    for (const auto& [sequence, logicalView] : typeView.logical) {
      const auto& id = logicalView.id;
      LogicalView logical;
      logical.key = name + "/" + config::Layout::logicalServiceName(sequence);
      for (const auto& [uuid, physical] : logicalView.physical) {
        RegisteredInstance instance;
        instance.uuid = uuid;
        instance.path = layout.physicalService({id, uuid});
        instance.owner = physical.ephemeralOwner;
        if (const auto& data = physical.data) {
          instance.decoded = true;
          instance.host = data->host;
          instance.pid = data->pid;
          instance.state = std::string(config::physicalStateName(data->state));
        }
        logical.instances[uuid] = instance;
      }
      for (const auto& member : logicalView.election) {
        ElectionMember entry;
        entry.path = layout.electionDir(id) + "/" + member.name;
        entry.sequence = member.sequence;
        entry.owner = member.ephemeralOwner;
        if (member.data) {
          entry.decoded = true;
          entry.physical = member.data->physical;
          entry.host = member.data->host;
        }
        logical.election.push_back(entry);
      }
      type.logical[sequence] = std::move(logical);
    }
    view.types[name] = std::move(type);
  }
  return view;
}

}  // namespace sm::test::chaos

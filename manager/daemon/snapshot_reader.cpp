#include "manager/daemon/snapshot_reader.hpp"

#include <algorithm>

#include "config/names.hpp"

namespace sm::daemon {

namespace {

using Report = std::function<void(const std::string&, const std::string&)>;

void readLogical(zk::TreeCache& tree, const config::Layout& layout, LogicalServiceView& logical,
                 bool memberData, const Report& report) {
  const auto physicalDir = layout.physicalServicesDir(logical.id);
  for (const auto& name : tree.children(physicalDir).value_or(std::vector<std::string>{})) {
    auto uuid = config::Layout::parsePhysicalServiceName(name);
    if (!uuid) continue;
    const auto path = layout.physicalService({logical.id, *uuid});
    auto node = tree.get(path);
    if (!node) continue;  // gone since the listing
    PhysicalServiceView view;
    view.uuid = *uuid;
    view.ephemeralOwner = node->stat.ephemeralOwner;
    view.version = node->stat.version;
    auto decoded = config::decodePhysicalServiceData(node->data, path);
    if (decoded) {
      view.data = decoded.value();
    } else {
      view.error = decoded.errorText();
      report(path, view.error);
    }
    logical.physical.emplace(*uuid, std::move(view));
  }
  // The member's name carries the physical service's uuid (Layout::electionMemberPrefix), so the
  // failover chain is known from one listing, without reading every member.
  for (const auto& name :
       tree.children(layout.electionDir(logical.id)).value_or(std::vector<std::string>{})) {
    auto parsed = config::Layout::parseLockChildName(name);
    if (!parsed) continue;
    ElectionMember member{name, parsed->sequence, std::nullopt};
    if (memberData) {
      // A promotion type's members publish their scores in their data (watched: a new score
      // wakes this manager, whose candidate may be waiting for it).
      const auto path = layout.electionMember(logical.id, name);
      auto node = tree.get(path);
      if (!node) continue;  // gone since the listing
      auto decoded = config::decodeElectionData(node->data, path);
      if (decoded) {
        member.data = decoded.value();
      } else {
        report(path, decoded.errorText());
      }
    } else if (!parsed->uuid.empty()) {
      config::ElectionData data{parsed->uuid, ""};
      auto physical = logical.physical.find(parsed->uuid);
      if (physical != logical.physical.end() && physical->second.data) {
        data.host = physical->second.data->host;
      }
      member.data = data;
    }
    logical.election.push_back(std::move(member));
  }
  std::sort(logical.election.begin(), logical.election.end(),
            [](const auto& a, const auto& b) { return a.sequence < b.sequence; });
  const auto statusPath = layout.status(logical.id);
  if (auto node = tree.get(statusPath)) {
    logical.statusVersion = node->stat.version;
    auto decoded = config::decodeStatusData(node->data, statusPath);
    if (decoded) {
      logical.status = decoded.value();
    } else {
      report(statusPath, decoded.errorText() + " (the config monitor writes it again)");
    }
  }
}

// The children of `dir` whose names `valid` accepts, each decoded into a {data, error} view; one
// that cannot be decoded is kept with its error and reported with `note`.
template <typename View, typename Valid, typename PathOf, typename Decode>
void readMarks(zk::TreeCache& tree, const std::string& dir, Valid valid, PathOf pathOf,
               Decode decode, const std::string& note, const Report& report,
               std::map<std::string, View>& out) {
  for (const auto& name : tree.children(dir).value_or(std::vector<std::string>{})) {
    if (!valid(name)) continue;
    const auto path = pathOf(name);
    auto node = tree.get(path);
    if (!node) continue;
    View view;
    auto decoded = decode(node->data, path);
    if (decoded) {
      view.data = decoded.value();
    } else {
      view.error = decoded.errorText();
      report(path, view.error + note);
    }
    out.emplace(name, std::move(view));
  }
}

}  // namespace

ClusterSnapshot readSnapshot(zk::TreeCache& tree, const config::Layout& layout,
                             const Report& report) {
  ClusterSnapshot snapshot;
  for (const auto& name : tree.children(layout.configDir()).value_or(std::vector<std::string>{})) {
    const auto path = layout.serviceType(name);
    auto node = tree.get(path);
    if (!node) continue;
    ServiceTypeView type;
    type.name = name;
    auto decoded = config::decodeServiceType(node->data, path);
    if (decoded) {
      type.stored = decoded.value();
    } else {
      type.error = decoded.errorText();
      report(path, type.error);
    }
    for (const auto& child : tree.children(path).value_or(std::vector<std::string>{})) {
      auto sequence = config::Layout::parseLogicalServiceName(child);
      if (!sequence) continue;
      LogicalServiceView logical;
      logical.id = {name, *sequence};
      readLogical(tree, layout, logical,
                  type.stored && type.stored->type.spec.promotion.has_value(), report);
      type.logical.emplace(*sequence, std::move(logical));
    }
    snapshot.types.emplace(name, std::move(type));
  }
  for (const auto& id : tree.children(layout.hostsDir()).value_or(std::vector<std::string>{})) {
    const auto path = layout.host(id);
    auto node = tree.get(path);
    if (!node) continue;
    HostView host;
    host.id = id;
    host.ephemeralOwner = node->stat.ephemeralOwner;
    auto decoded = config::decodeHostData(node->data, path);
    if (decoded) {
      host.data = decoded.value();
    } else {
      report(path, decoded.errorText());
    }
    snapshot.hosts.emplace(id, std::move(host));
  }
  for (const auto& type : tree.children(layout.servicesDir()).value_or(std::vector<std::string>{})) {
    if (config::checkServiceTypeName(type)) continue;  // not a type's directory: nothing of ours
    auto& identities = snapshot.persistent[type];
    const auto dir = layout.persistentServicesDir(type);
    for (const auto& name : tree.children(dir).value_or(std::vector<std::string>{})) {
      const auto uuid = config::Layout::parsePersistentServiceName(name);
      if (!uuid) continue;
      const auto path = layout.persistentService(type, *uuid);
      auto node = tree.get(path);
      if (!node) continue;
      PersistentServiceView view{type, *uuid, std::nullopt, "", node->stat.version};
      auto decoded = config::decodePersistentServiceData(node->data, path);
      if (decoded) {
        view.data = decoded.value();
      } else {
        view.error = decoded.errorText();
        report(path, view.error + " (this identity is left alone until an operator forgets it)");
      }
      identities.emplace(*uuid, std::move(view));
    }
  }
  // Marks an operator set: an unreadable one still counts (the host cordoned, the type paused).
  readMarks<CordonView>(
      tree, layout.cordonsDir(), [](const auto& id) { return !config::checkHostId(id); },
      [&](const auto& id) { return layout.cordon(id); }, config::decodeCordonData,
      " (the host counts as cordoned)", report, snapshot.cordons);
  readMarks<PauseView>(
      tree, layout.pausedDir(), [](const auto& type) { return !config::checkServiceTypeName(type); },
      [&](const auto& type) { return layout.paused(type); }, config::decodePauseData,
      " (the type counts as paused)", report, snapshot.paused);
  for (const auto& name :
       tree.children(layout.switchoversDir()).value_or(std::vector<std::string>{})) {
    const auto id = config::Layout::parseCreateLockName(name);
    if (!id) continue;
    const auto path = layout.switchover(*id);
    auto node = tree.get(path);
    if (!node) continue;
    SwitchoverView switchover;
    switchover.version = node->stat.version;
    auto decoded = config::decodeSwitchoverData(node->data, path);
    if (decoded) {
      switchover.data = decoded.value();
    } else {
      switchover.error = decoded.errorText();
      report(path, switchover.error + " (ignored; servicesctl switchover replaces it)");
    }
    snapshot.switchovers.emplace(*id, std::move(switchover));
  }
  for (const auto& name :
       tree.children(layout.createPhysicalServiceLocksDir()).value_or(std::vector<std::string>{})) {
    if (auto id = config::Layout::parseCreateLockName(name)) {
      snapshot.createLocks.emplace(*id, CreateLockView{*id});
    }
  }
  return snapshot;
}

}  // namespace sm::daemon

#pragma once

// Builds ClusterSnapshots in a few lines, so each test states only what it is about.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "manager/model/cluster_snapshot.hpp"

namespace sm::daemon::testutil {

inline config::StoredServiceType makeType(std::string name, config::Constraints constraints = {}) {
  config::StoredServiceType stored;
  stored.type.name = std::move(name);
  stored.type.spec.command = {"/bin/true"};
  stored.type.spec.constraints = std::move(constraints);
  return stored;
}

// A type "web" with these counts (and constraints).
inline config::StoredServiceType typeWith(std::int64_t serviceCount, std::int64_t replicationCount,
                                          config::Constraints constraints = {}) {
  auto stored = makeType("web", std::move(constraints));
  stored.type.spec.serviceCount = serviceCount;
  stored.type.spec.replicationCount = replicationCount;
  return stored;
}

// A persistent type "db" with these counts and host-loss grace.
inline config::StoredServiceType persistentType(std::int64_t serviceCount,
                                                std::int64_t replicationCount,
                                                std::int64_t graceSeconds = 300) {
  auto stored = makeType("db");
  stored.type.spec.serviceCount = serviceCount;
  stored.type.spec.replicationCount = replicationCount;
  stored.type.spec.persistent = true;
  stored.type.spec.hostLossGraceSeconds = graceSeconds;
  return stored;
}

// The same, at a later spec generation whose process template dates from `templateGeneration`
// (0: from `generation` itself, a change of the process).
inline config::StoredServiceType typeAtGeneration(std::int64_t serviceCount,
                                                  std::int64_t replicationCount,
                                                  std::int64_t generation,
                                                  std::int64_t templateGeneration = 0) {
  auto stored = typeWith(serviceCount, replicationCount);
  stored.generation = generation;
  stored.templateGeneration = templateGeneration;
  return stored;
}

// A host with room for anything: plenty of memory, no load, nothing running.
inline config::HostData idleHost() {
  config::HostData data;
  data.capacity = {4, 8192, 8192};
  return data;
}

// An otherwise idle host that runs `running` processes (ranking prefers fewer).
inline config::HostData busy(std::int64_t running) {
  auto data = idleHost();
  data.running = running;
  return data;
}

class SnapshotBuilder {
 public:
  SnapshotBuilder& host(const std::string& id, config::HostData data = idleHost()) {
    snapshot_.hosts[id] = model::HostView{id, std::move(data), "", 0};
    return *this;
  }
  SnapshotBuilder& unreadableHost(const std::string& id, const std::string& error = "") {
    snapshot_.hosts[id] = model::HostView{id, std::nullopt, error, 0};
    return *this;
  }
  // The type with logical services 0 .. logicalCount-1 and no instances.
  SnapshotBuilder& type(const config::StoredServiceType& stored, std::int64_t logicalCount = 1) {
    model::ServiceTypeView& view = snapshot_.types[stored.type.name];
    view.name = stored.type.name;
    view.stored = stored;
    for (std::int64_t seq = 0; seq < logicalCount; ++seq) {
      view.logical[seq].id = config::LogicalServiceId{stored.type.name, seq};
    }
    return *this;
  }
  // A type whose spec cannot be decoded, with logical services 0 .. logicalCount-1.
  SnapshotBuilder& unreadableType(const std::string& name, const std::string& error = "bad json",
                                  std::int64_t logicalCount = 1) {
    model::ServiceTypeView& view = snapshot_.types[name];
    view.name = name;
    view.error = error;
    for (std::int64_t seq = 0; seq < logicalCount; ++seq) {
      view.logical[seq].id = config::LogicalServiceId{name, seq};
    }
    return *this;
  }
  // The logical service's own data (observers read it).
  SnapshotBuilder& logicalData(const config::LogicalServiceId& id,
                               config::LogicalServiceData data) {
    model::LogicalServiceView& logical = snapshot_.types[id.type].logical[id.sequence];
    logical.id = id;
    logical.data = std::move(data);
    return *this;
  }
  // A registered instance; with `elect` also an election member behind any existing ones.
  SnapshotBuilder& instance(const config::LogicalServiceId& id, const std::string& uuid,
                            const std::string& host, bool elect = true) {
    addInstance(snapshot_, id, uuid, host, elect);
    return *this;
  }
  // A registered instance with this data; with `elect` also an election member behind any existing
  // ones.
  SnapshotBuilder& instance(const config::LogicalServiceId& id, const std::string& uuid,
                            const config::PhysicalServiceData& data, bool elect = true) {
    addInstance(snapshot_, id, uuid, data.host, elect);
    physical(snapshot_, id, uuid).data = data;
    return *this;
  }
  SnapshotBuilder& undecodableInstance(const config::LogicalServiceId& id,
                                       const std::string& uuid) {
    snapshot_.types[id.type].logical[id.sequence].physical[uuid] =
        model::PhysicalServiceView{uuid, std::nullopt, "bad json", 0, 0};
    return *this;
  }
  // An election member alone (its physicalService znode may be missing), behind any existing ones.
  SnapshotBuilder& electionMember(const config::LogicalServiceId& id, const std::string& uuid,
                                  const std::string& host) {
    addElectionMember(snapshot_, id, uuid, host);
    return *this;
  }
  // An election member whose data cannot be decoded, behind any existing ones.
  SnapshotBuilder& undecodableElectionMember(const config::LogicalServiceId& id,
                                             const std::string& name) {
    model::LogicalServiceView& logical = snapshot_.types[id.type].logical[id.sequence];
    logical.id = id;
    const std::int64_t seq = logical.election.empty() ? 0 : logical.election.back().sequence + 1;
    logical.election.push_back(model::ElectionMember{name, seq, std::nullopt, "", 0});
    return *this;
  }
  // Renumbers the election members from `first` on (the first member's sequence is the epoch).
  SnapshotBuilder& electionFrom(const config::LogicalServiceId& id, std::int64_t first) {
    for (auto& member : snapshot_.types.at(id.type).logical.at(id.sequence).election) {
      const auto uuid = member.data ? member.data->physical : std::string("x");
      member.sequence = first++;
      member.name = "lock-" + uuid + "-" + std::to_string(member.sequence);
    }
    return *this;
  }
  // Setters for an instance added before.
  SnapshotBuilder& state(const config::LogicalServiceId& id, const std::string& uuid,
                         config::PhysicalState state) {
    physical(snapshot_, id, uuid).data->state = state;
    return *this;
  }
  SnapshotBuilder& generation(const config::LogicalServiceId& id, const std::string& uuid,
                              std::int64_t generation) {
    physical(snapshot_, id, uuid).data->generation = generation;
    return *this;
  }
  // A createPhysicalService lock node for the logical service.
  SnapshotBuilder& createLock(const config::LogicalServiceId& id) {
    snapshot_.createLocks[id] = model::CreateLockView{id};
    return *this;
  }
  // An entry of the host's node of the type in its inbox (the node made with its first entry).
  SnapshotBuilder& assignment(const config::LogicalServiceId& id, const std::string& host,
                              std::int64_t delayMs = 0, std::int64_t replicas = 0) {
    snapshot_.assignments[id][host] =
        model::AssignmentView{host, id, config::AssignmentData{0, delayMs, replicas}};
    snapshot_.assignmentNodes.try_emplace({host, id.type},
                                          model::AssignmentsNodeView{host, id.type, 0, ""});
    return *this;
  }
  // The logical service's status node.
  SnapshotBuilder& status(const config::LogicalServiceId& id, config::StatusData status,
                          std::int32_t version = 0) {
    model::LogicalServiceView& logical = snapshot_.types[id.type].logical[id.sequence];
    logical.id = id;
    logical.status = std::move(status);
    logical.statusVersion = version;
    return *this;
  }
  // A persistent identity services/<type>/<uuid> of the logical service, on `host`.
  SnapshotBuilder& identity(const config::LogicalServiceId& id, const std::string& uuid,
                            const std::string& host,
                            config::PersistentState state = config::PersistentState::Running,
                            std::int64_t created = 0, std::int64_t lostSince = 0) {
    config::PersistentServiceData data;
    data.logical = id.sequence;
    data.host = host;
    data.dataDir = "/data/" + id.type + "/" + uuid;
    data.created = created;
    data.lostSince = lostSince;
    data.state = state;
    snapshot_.persistent[id.type][uuid] = model::PersistentServiceView{id.type, uuid, data, "", 3};
    return *this;
  }
  // A persistent identity with exactly this data.
  SnapshotBuilder& identity(const std::string& type, const std::string& uuid,
                            config::PersistentServiceData data) {
    snapshot_.persistent[type][uuid] =
        model::PersistentServiceView{type, uuid, std::move(data), "", 3};
    return *this;
  }
  SnapshotBuilder& unreadableIdentity(const std::string& type, const std::string& uuid,
                                      const std::string& error) {
    snapshot_.persistent[type][uuid] =
        model::PersistentServiceView{type, uuid, std::nullopt, error, 3};
    return *this;
  }
  // cordons/<host>, draining when asked (servicesctl drain).
  SnapshotBuilder& cordon(const std::string& host, bool drain = false,
                          bool movePersistent = false) {
    snapshot_.cordons[host] = model::CordonView{config::CordonData{1000, "", drain, movePersistent}, ""};
    return *this;
  }
  // cordons/<host> whose data cannot be decoded: the host counts as cordoned all the same.
  SnapshotBuilder& unreadableCordon(const std::string& host) {
    snapshot_.cordons[host] = model::CordonView{std::nullopt, "bad json"};
    return *this;
  }
  // paused/<type>.
  SnapshotBuilder& paused(const std::string& type, const std::string& reason = "") {
    snapshot_.paused[type] = model::PauseView{config::PauseData{1000, reason}, ""};
    return *this;
  }
  // A switchover request of the logical service to `target`.
  SnapshotBuilder& switchover(const config::LogicalServiceId& id, const std::string& target,
                              std::int64_t deadline, std::int32_t version = 0) {
    snapshot_.switchovers[id] =
        model::SwitchoverView{config::SwitchoverData{target, "", 0, deadline}, "", version};
    return *this;
  }
  // events/event-<sequence> with this (JSON) data, decoded as the reader does, after any added
  // before.
  SnapshotBuilder& event(std::int64_t sequence, const std::string& data) {
    auto decoded = config::decodeEvents(data, "events");
    if (!decoded) {
      snapshot_.events.push_back({sequence, 0, std::nullopt, decoded.errorText()});
      return *this;
    }
    for (std::size_t index = 0; index < decoded.value().size(); ++index) {
      snapshot_.events.push_back({sequence, index, decoded.value()[index], ""});
    }
    return *this;
  }
  model::ClusterSnapshot build() const { return snapshot_; }

  static model::PhysicalServiceView& physical(model::ClusterSnapshot& snapshot,
                                       const config::LogicalServiceId& id,
                                       const std::string& uuid) {
    return snapshot.types.at(id.type).logical.at(id.sequence).physical.at(uuid);
  }
  static void addElectionMember(model::ClusterSnapshot& snapshot, const config::LogicalServiceId& id,
                                const std::string& uuid, const std::string& host) {
    model::LogicalServiceView& logical = snapshot.types[id.type].logical[id.sequence];
    logical.id = id;
    const std::int64_t seq = logical.election.empty() ? 0 : logical.election.back().sequence + 1;
    logical.election.push_back(model::ElectionMember{"lock-" + uuid + "-" + std::to_string(seq), seq,
                                                     config::ElectionData{uuid, host}, "", 0});
  }

  // Also for tests that grow a snapshot step by step.
  static void addInstance(model::ClusterSnapshot& snapshot, const config::LogicalServiceId& id,
                          const std::string& uuid, const std::string& host, bool elect = true) {
    model::LogicalServiceView& logical = snapshot.types[id.type].logical[id.sequence];
    logical.id = id;
    config::PhysicalServiceData data;
    data.host = host;
    data.state = config::PhysicalState::Running;
    logical.physical[uuid] = model::PhysicalServiceView{uuid, data, "", 0, 0};
    if (elect) addElectionMember(snapshot, id, uuid, host);
  }

 private:
  model::ClusterSnapshot snapshot_;
};

}  // namespace sm::daemon::testutil

#include "manager/daemon/reconcile/persistent_plan.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "manager/daemon/reconcile/logical_services.hpp"

namespace sm::daemon {

namespace {

using config::PersistentState;

std::set<std::string> registeredUuids(const model::LogicalServiceView& logical) {
  std::set<std::string> result;
  for (const auto& [uuid, physical] : logical.physical) result.insert(uuid);
  return result;
}

// Since when an identity's host has been away, for its grace: lost since lostSince, or stopped
// with its manager (a graceful stop) since lastStopped; nullopt while its host is there.
std::optional<std::int64_t> awaySince(const model::ClusterSnapshot& snapshot,
                                      const config::PersistentServiceData& data) {
  if (snapshot.hosts.contains(data.host)) return std::nullopt;
  if (data.state == PersistentState::Lost) return data.lostSince;
  if (data.state == PersistentState::Stopped) return data.lastStopped;
  return std::nullopt;
}

}  // namespace

const model::ServiceTypeView* persistentType(const model::ClusterSnapshot& snapshot, const std::string& type) {
  const auto* view = snapshot.type(type);
  return view && view->stored && view->stored->type.spec.persistent ? view : nullptr;
}

std::vector<const model::PersistentServiceView*> liveIdentities(const model::ClusterSnapshot& snapshot,
                                                         const config::LogicalServiceId& id) {
  auto result = snapshot.identitiesOf(id);
  std::erase_if(result, [](const model::PersistentServiceView* identity) {
    return identity->data->state == PersistentState::Abandoned ||
           identity->data->state == PersistentState::Purging;
  });
  std::sort(result.begin(), result.end(), [](const auto* a, const auto* b) {
    return std::tie(a->data->created, a->uuid) < std::tie(b->data->created, b->uuid);
  });
  return result;
}

std::int64_t occupiedReplicas(const model::ClusterSnapshot& snapshot, const config::LogicalServiceId& id,
                              const std::set<std::string>& registered) {
  auto holders = registered;
  if (persistentType(snapshot, id.type)) {
    for (const auto* identity : liveIdentities(snapshot, id)) holders.insert(identity->uuid);
  }
  return static_cast<std::int64_t>(holders.size());
}

std::int64_t occupiedReplicas(const model::ClusterSnapshot& snapshot, const model::LogicalServiceView& logical) {
  return occupiedReplicas(snapshot, logical.id, registeredUuids(logical));
}

std::vector<Resume> planResumes(const model::ClusterSnapshot& snapshot, const std::string& hostId,
                                const std::set<std::string>& localUuids) {
  std::vector<Resume> result;
  // A draining host starts nothing again: its identities wait for `uncordon`.
  if (snapshot.isDraining(hostId)) return result;
  for (const auto& [typeName, identities] : snapshot.persistent) {
    const auto* type = persistentType(snapshot, typeName);
    if (!type || snapshot.isPaused(typeName)) continue;
    const auto replicas = type->stored->type.spec.replicationCount;
    for (const auto& [sequence, logical] : type->logical) {
      if (!isWanted(*type, sequence)) continue;
      const auto live = liveIdentities(snapshot, logical.id);
      for (std::size_t rank = 0; rank < live.size(); ++rank) {
        const auto& identity = *live[rank];
        if (static_cast<std::int64_t>(rank) >= replicas) break;  // surplus: never started again
        if (identity.data->host != hostId || logical.physical.contains(identity.uuid) ||
            localUuids.contains(identity.uuid)) {
          continue;
        }
        result.push_back({{logical.id, identity.uuid}, identity});
      }
    }
  }
  return result;
}

std::vector<model::PersistentServiceView> planPurges(const model::ClusterSnapshot& snapshot,
                                             const std::string& hostId,
                                             const std::set<std::string>& localUuids) {
  std::vector<model::PersistentServiceView> result;
  for (const auto& [typeName, identities] : snapshot.persistent) {
    for (const auto& [uuid, identity] : identities) {
      if (identity.data && identity.data->state == PersistentState::Purging &&
          identity.data->host == hostId && !localUuids.contains(uuid)) {
        result.push_back(identity);
      }
    }
  }
  return result;
}

std::vector<IdentityChange> planIdentities(const model::ClusterSnapshot& snapshot,
                                           const std::string& typeName, std::int64_t nowMs) {
  std::vector<IdentityChange> changes;
  const auto* type = persistentType(snapshot, typeName);
  const auto identities = snapshot.persistent.find(typeName);
  if (!type || identities == snapshot.persistent.end()) return changes;
  const auto graceMs = type->stored->type.spec.hostLossGraceSeconds * 1000;
  const auto replicas = type->stored->type.spec.replicationCount;
  for (const auto& [uuid, identity] : identities->second) {
    if (!identity.data) continue;  // reported; an operator forgets it
    auto data = *identity.data;
    if (data.state == PersistentState::Running && !snapshot.hosts.contains(data.host)) {
      // (A stopped one keeps saying so: its manager stopped it on purpose, and its grace counts
      // from then.)
      data.state = PersistentState::Lost;
      data.lostSince = nowMs;
      changes.push_back({IdentityChange::Kind::Set, uuid, identity.version, data,
                         fmt::format("its host {} is gone: lost, abandoned after {} s unless it "
                                     "comes back",
                                     data.host, graceMs / 1000)});
    } else if (auto since = awaySince(snapshot, data); since && nowMs - *since >= graceMs) {
      data.state = PersistentState::Abandoned;
      changes.push_back({IdentityChange::Kind::Set, uuid, identity.version, data,
                         fmt::format("its host {} has been away for {} s: abandoned, a new "
                                     "identity takes its place",
                                     data.host, (nowMs - *since) / 1000)});
    }
  }
  // Surplus identities (replicationCount lowered) go once nothing runs them.
  for (const auto& [sequence, logical] : type->logical) {
    const auto live = liveIdentities(snapshot, logical.id);
    for (auto rank = static_cast<std::size_t>(std::max<std::int64_t>(0, replicas));
         rank < live.size(); ++rank) {
      if (logical.physical.contains(live[rank]->uuid)) continue;  // stopped first by its manager
      changes.push_back({IdentityChange::Kind::Remove, live[rank]->uuid, live[rank]->version, {},
                         fmt::format("replicationCount is {}: surplus identity removed (its data "
                                     "stays on {})",
                                     replicas, live[rank]->data->host)});
    }
  }
  return changes;
}

std::optional<std::int64_t> nextGraceEnd(const model::ClusterSnapshot& snapshot, std::int64_t nowMs) {
  std::optional<std::int64_t> next;
  for (const auto& [typeName, identities] : snapshot.persistent) {
    const auto* type = persistentType(snapshot, typeName);
    if (!type) continue;
    const auto graceMs = type->stored->type.spec.hostLossGraceSeconds * 1000;
    for (const auto& [uuid, identity] : identities) {
      const auto since = identity.data ? awaySince(snapshot, *identity.data) : std::nullopt;
      if (since && *since + graceMs > nowMs && (!next || *since + graceMs < *next)) {
        next = *since + graceMs;
      }
    }
  }
  return next;
}

}  // namespace sm::daemon

#include "manager/daemon/reconcile/instance_plan.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "manager/daemon/reconcile/drain_plan.hpp"
#include "manager/daemon/reconcile/logical_services.hpp"
#include "manager/daemon/reconcile/persistent_plan.hpp"

namespace sm::daemon {

namespace {

InstanceAction stop(const LocalInstanceView& instance, std::string reason) {
  return {InstanceAction::Kind::Stop, instance.id.uuid, std::move(reason), {}};
}

// Why a registered instance must go, or "" when it stays.
std::string stopReason(const model::ClusterSnapshot& snapshot, const LocalInstanceView& instance) {
  const auto* type = snapshot.type(instance.id.logical.type);
  if (!type) return "its service type was deleted";
  if (!type->stored) return "";  // unreadable: reported elsewhere, nothing is stopped for it
  const auto& spec = type->stored->type.spec;
  const auto logicalIt = type->logical.find(instance.id.logical.sequence);
  if (logicalIt == type->logical.end()) return "its logical service was removed";
  const auto& logical = logicalIt->second;
  const auto physicalIt = logical.physical.find(instance.id.uuid);
  if (physicalIt == logical.physical.end()) return "its physicalService znode was removed";
  // Paused: nothing is stopped, scaled or rolled (what was removed from the tree above still goes).
  if (snapshot.isPaused(type->name)) return "";

  const auto order = failoverOrder(logical);
  const auto position = static_cast<std::int64_t>(
      std::find(order.begin(), order.end(), instance.id.uuid) - order.begin());
  if (!isWanted(*type, logical.id.sequence)) {
    // Secondaries first: the master stays until it is alone, so no failover churns on the way.
    if (position > 0 || order.size() == 1) return "its logical service is scaled away";
    return "";
  }
  if (spec.persistent) {
    // A persistent replica keeps its place by age, not by its place in the chain: the same rule
    // decides which identities start again (persistent_plan.hpp).
    // (An identity not in this snapshot is left alone: the cache may not show it yet.)
    const auto live = liveIdentities(snapshot, logical.id);
    const auto own = std::find_if(live.begin(), live.end(), [&](const auto* identity) {
      return identity->uuid == instance.id.uuid;
    });
    const auto rank = static_cast<std::int64_t>(own - live.begin());
    if (own != live.end() && rank >= spec.replicationCount) {
      return fmt::format("replicationCount is {} and it is persistent replica number {}",
                         spec.replicationCount, rank + 1);
    }
    for (const auto* identity : snapshot.identitiesOf(logical.id)) {
      if (identity->uuid == instance.id.uuid &&
          identity->data->state == config::PersistentState::Abandoned) {
        return "its persistent identity was abandoned while its host was gone";
      }
    }
  } else if (position >= placementTarget(snapshot, *type, logical)) {
    // (A drain's surge: one more than replicationCount while an instance waits to move.)
    return fmt::format("replicationCount is {} and it is number {} in the failover chain",
                       spec.replicationCount, position + 1);
  }
  if (!runsCurrentTemplate(instance, *type->stored) &&
      nextToReplace(logical, *type->stored) == instance.id.uuid) {
    return fmt::format("rolling replace to generation {}", type->stored->generation);
  }
  return "";
}

// Why a survivor of an expired session must go rather than be registered again, or "".
std::string survivorStopReason(const model::ClusterSnapshot& snapshot, const LocalInstanceView& instance) {
  const auto* type = snapshot.type(instance.id.logical.type);
  if (!type) return "its service type was deleted";
  if (!type->stored) return "";
  const auto& spec = type->stored->type.spec;
  const auto logicalIt = type->logical.find(instance.id.logical.sequence);
  if (logicalIt == type->logical.end()) return "its logical service was removed";
  if (!isWanted(*type, logicalIt->first)) return "its logical service is scaled away";
  if (!runsCurrentTemplate(instance, *type->stored)) {
    return fmt::format("it runs an older process template than generation {}",
                       type->stored->generation);
  }
  const auto registered = static_cast<std::int64_t>(logicalIt->second.physical.size());
  // A persistent survivor registers again under its identity (no create-lock); stopReason rules.
  if (!spec.persistent && registered >= spec.replicationCount) {
    return fmt::format("its logical service has its {} replicas without it", registered);
  }
  return "";
}

}  // namespace

bool runsCurrentTemplate(const LocalInstanceView& instance, const config::StoredServiceType& type) {
  return config::sameProcessTemplate(instance.spec, type.type.spec) &&
         instance.restartedAt == type.restartedAt;
}

std::vector<InstanceAction> planInstances(const model::ClusterSnapshot& snapshot,
                                          const std::vector<LocalInstanceView>& instances) {
  std::vector<InstanceAction> actions;
  for (const auto& instance : instances) {
    if (instance.phase == Phase::Survivor) {
      if (auto reason = survivorStopReason(snapshot, instance); !reason.empty()) {
        actions.push_back(stop(instance, "survivor of an expired session: " + reason));
      }
      continue;
    }
    if (!instance.registered) continue;
    if (auto reason = stopReason(snapshot, instance); !reason.empty()) {
      actions.push_back(stop(instance, std::move(reason)));
      continue;
    }
    const auto* type = snapshot.type(instance.id.logical.type);
    if (!type || !type->stored) continue;
    const auto& physical =
        type->logical.at(instance.id.logical.sequence).physical.at(instance.id.uuid);
    if (!physical.data) {
      actions.push_back(
          {InstanceAction::Kind::Rewrite, instance.id.uuid, "its data cannot be read", {}});
      continue;
    }
    auto data = *physical.data;
    // What the tree says follows this manager's phase of the instance.
    if (instance.phase == Phase::Restarting) {
      data.state = config::PhysicalState::Restarting;
      data.pid = 0;
    } else if (instance.phase == Phase::Running) {
      if (instance.pid != 0) data.pid = instance.pid;
      if (instance.ready) data.state = config::PhysicalState::Running;
    }
    // It runs the current template, started from an older template generation (the spec went
    // back to the process it runs): current without a restart. A scale keeps the template
    // generation, so it writes nothing here.
    if (runsCurrentTemplate(instance, *type->stored)) {
      data.generation = std::max(data.generation, type->stored->templateFrom());
    }
    if (data != *physical.data) {
      actions.push_back({InstanceAction::Kind::Update, instance.id.uuid, "", std::move(data)});
    }
  }
  return actions;
}

}  // namespace sm::daemon

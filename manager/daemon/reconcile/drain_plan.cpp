#include "manager/daemon/reconcile/drain_plan.hpp"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "manager/daemon/placement/placement.hpp"
#include "manager/daemon/reconcile/logical_services.hpp"
#include "manager/daemon/reconcile/persistent_plan.hpp"

namespace sm::daemon {

namespace {

const std::string* hostOf(const model::PhysicalServiceView& physical) {
  return physical.data ? &physical.data->host : nullptr;
}

// Registered instances of `logical` on draining hosts.
std::vector<std::string> drainingInstances(const model::ClusterSnapshot& snapshot,
                                           const model::LogicalServiceView& logical) {
  std::vector<std::string> out;
  for (const auto& [uuid, physical] : logical.physical) {
    if (const auto* host = hostOf(physical); host && snapshot.isDraining(*host)) {
      out.push_back(uuid);
    }
  }
  return out;
}

// The first member of the chain that is not on a draining host: the drain's handover target.
std::optional<std::size_t> firstStaying(const model::ClusterSnapshot& snapshot,
                                        const model::LogicalServiceView& logical) {
  for (std::size_t i = 0; i < logical.election.size(); ++i) {
    const auto& member = logical.election[i];
    if (member.data && !member.data->host.empty() && !snapshot.isDraining(member.data->host)) {
      return i;
    }
  }
  return std::nullopt;
}

}  // namespace

std::int64_t missingReplicas(const model::ClusterSnapshot& snapshot, const model::ServiceTypeView& type,
                             const model::LogicalServiceView& logical) {
  return placementTarget(snapshot, type, logical) - occupiedReplicas(snapshot, logical);
}

std::int64_t placementTarget(const model::ClusterSnapshot& snapshot, const model::ServiceTypeView& type,
                             const model::LogicalServiceView& logical) {
  const auto& spec = type.stored->type.spec;
  if (spec.persistent) return spec.replicationCount;
  return spec.replicationCount + (drainingInstances(snapshot, logical).empty() ? 0 : 1);
}

DrainPlan planDrain(const model::ClusterSnapshot& snapshot, const std::string& hostId,
                    std::int64_t nowMs) {
  DrainPlan plan;
  const auto* cordon = snapshot.drainOf(hostId);
  if (!cordon) return plan;
  const bool movePersistent = cordon->data->movePersistent;
  for (const auto& [name, type] : snapshot.types) {
    if (!type.stored || snapshot.isPaused(name)) continue;
    const auto& spec = type.stored->type.spec;
    for (const auto& [sequence, logical] : type.logical) {
      if (!isWanted(type, sequence)) continue;  // scaled away: its instances go anyway
      const auto draining = drainingInstances(snapshot, logical);
      const bool here = std::any_of(draining.begin(), draining.end(), [&](const auto& uuid) {
        return *hostOf(logical.physical.at(uuid)) == hostId;
      });
      if (!here) continue;
      const auto staying = firstStaying(snapshot, logical);
      if (staying && *staying > 0) {
        for (auto& requeue : requeuesToward(logical, *staying, hostId,
                                            fmt::format("host {} drains", hostId))) {
          plan.handovers.push_back(std::move(requeue));
        }
      }
      // One mover per logical service: secondaries before the master, then the lowest uuid.
      const auto master = logical.masterUuid();
      const auto mover = *std::min_element(
          draining.begin(), draining.end(), [&](const std::string& a, const std::string& b) {
            return std::make_pair(a == master, a) < std::make_pair(b == master, b);
          });
      if (*hostOf(logical.physical.at(mover)) != hostId) continue;
      if (mover == master && staying) continue;  // it hands over first
      const auto registered = static_cast<std::int64_t>(logical.physical.size());
      const auto rc = spec.replicationCount;
      DrainStop stop{{logical.id, mover}, DrainStop::Identity::None, ""};
      if (spec.persistent) {
        if (registered < rc) continue;  // already short: it would leave fewer than rc - 1
        stop.identity = movePersistent ? DrainStop::Identity::Abandon : DrainStop::Identity::Keep;
        stop.reason = movePersistent
                          ? fmt::format("host {} drains: its identity moves to a new one elsewhere "
                                        "(--move-persistent)",
                                        hostId)
                          : fmt::format("host {} drains: stopped, its identity and data kept for "
                                        "the host",
                                        hostId);
        plan.stops.push_back(std::move(stop));
        continue;
      }
      std::int64_t othersRunning = 0;
      for (const auto& [uuid, physical] : logical.physical) {
        othersRunning += uuid != mover && physical.data &&
                         physical.data->state == config::PhysicalState::Running;
      }
      if (othersRunning >= rc) {
        stop.reason = fmt::format("host {} drains: its replacement runs", hostId);
      } else if (registered >= rc &&
                 placement::rankFeasibleHosts({*type.stored, logical.id, snapshot, nowMs})
                     .empty()) {
        stop.reason = fmt::format("host {} drains: no host can take a replacement, so it goes "
                                  "first ({} of {} replicas stay)",
                                  hostId, rc - 1, rc);
      } else {
        continue;  // its replacement is being placed
      }
      plan.stops.push_back(std::move(stop));
    }
  }
  return plan;
}

}  // namespace sm::daemon

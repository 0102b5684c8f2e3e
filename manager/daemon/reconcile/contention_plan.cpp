#include "manager/daemon/reconcile/contention_plan.hpp"

#include <algorithm>

#include "manager/daemon/placement/placement.hpp"
#include "manager/daemon/reconcile/drain_plan.hpp"
#include "manager/daemon/reconcile/logical_services.hpp"
#include "manager/daemon/reconcile/persistent_plan.hpp"

namespace sm::daemon {

std::vector<Contention> planContention(const model::ClusterSnapshot& snapshot, const std::string& hostId,
                                       std::int64_t nowMs) {
  std::vector<Contention> result;
  const auto self = snapshot.hosts.find(hostId);
  if (self == snapshot.hosts.end()) return result;
  for (const auto& [id, lock] : snapshot.createLocks) {
    const auto* type = snapshot.type(id.type);
    if (!type || !type->stored || !isWanted(*type, id.sequence) || snapshot.isPaused(id.type)) {
      continue;
    }
    const auto* logical = snapshot.logical(id);
    if (!logical) continue;
    if (occupiedReplicas(snapshot, *logical) >= placementTarget(snapshot, *type, *logical)) {
      continue;
    }
    placement::PlacementRequest request{*type->stored, id, snapshot, nowMs};
    if (placement::checkHost(request, self->second)) continue;
    const auto ranked = placement::rankFeasibleHosts(request);
    const auto rank =
        static_cast<std::size_t>(std::find(ranked.begin(), ranked.end(), hostId) - ranked.begin());
    const auto own = placement::score(request, self->second);
    std::int64_t fewestReplicas = own.logicalInstances;
    std::int64_t fewestOfType = own.typeInstances;
    for (const auto& host : ranked) {
      const auto s = placement::score(request, snapshot.hosts.at(host));
      fewestReplicas = std::min(fewestReplicas, s.logicalInstances);
      // Turns are taken among real alternatives: hosts with no more replicas of this service.
      if (s.logicalInstances <= own.logicalInstances) {
        fewestOfType = std::min(fewestOfType, s.typeInstances);
      }
    }
    const auto delay = kRankDelay * static_cast<std::int64_t>(rank) +
                       kTurnDelay * (own.typeInstances - fewestOfType) +
                       kDoubleUpDelay * (own.logicalInstances - fewestReplicas);
    result.push_back({id, rank, own.value(), delay});
  }
  return result;
}

}  // namespace sm::daemon

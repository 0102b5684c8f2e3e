#include "manager/daemon/reconcile/holder_decision.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "manager/daemon/placement/placement.hpp"
#include "manager/daemon/reconcile/drain_plan.hpp"

namespace sm::daemon {

HolderDecision decideAsHolder(const HolderSituation& s) {
  using Kind = HolderDecision::Kind;
  const auto* type = s.snapshot.type(s.logical.type);
  const auto host = s.snapshot.hosts.find(s.hostId);
  if (!type || !type->stored || host == s.snapshot.hosts.end()) {
    return {Kind::Release, "its type or this host's node is not readable", false};
  }
  if (s.snapshot.isPaused(s.logical.type)) return {Kind::Release, "its type is paused", false};
  const auto* logical = s.snapshot.logical(s.logical);
  if (s.registeredNow < 0 || !logical) {
    return {Kind::Release, "its logical service is gone", false};
  }
  // replicationCount, or one more while a drain's surge is wanted.
  const auto replicas = placementTarget(s.snapshot, *type, *logical);
  if (s.registeredNow >= replicas) return {Kind::Release, "it is full", false};
  placement::PlacementRequest request{*type->stored, s.logical, s.snapshot, s.nowMs};
  if (auto infeasible = placement::checkHostLocally(request, host->second)) {
    return {Kind::Release, infeasible->reason, false};
  }
  return {Kind::Place, "", s.registeredNow + 1 >= replicas};
}

}  // namespace sm::daemon

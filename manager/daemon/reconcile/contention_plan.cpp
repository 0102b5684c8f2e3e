#include "manager/daemon/reconcile/contention_plan.hpp"

#include "manager/daemon/reconcile/drain_plan.hpp"
#include "manager/daemon/reconcile/logical_services.hpp"

namespace sm::daemon {

std::vector<Contention> planContention(const model::ClusterSnapshot& snapshot,
                                       const std::string& hostId) {
  std::vector<Contention> result;
  if (!snapshot.hosts.contains(hostId)) return result;
  for (const auto& [id, named] : snapshot.assignments) {
    const auto assignment = named.find(hostId);
    if (assignment == named.end() || snapshot.spent(assignment->second)) continue;
    const auto* type = snapshot.type(id.type);
    if (!type || !type->stored || !isWanted(*type, id.sequence) || snapshot.isPaused(id.type)) {
      continue;
    }
    const auto* logical = snapshot.logical(id);
    if (!logical) continue;
    if (missingReplicas(snapshot, *type, *logical) <= 0) {
      continue;
    }
    result.push_back({id, std::chrono::milliseconds(assignment->second.data.delayMs)});
  }
  return result;
}

}  // namespace sm::daemon

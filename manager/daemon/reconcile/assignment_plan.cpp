#include "manager/daemon/reconcile/assignment_plan.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "manager/daemon/placement/placement.hpp"
#include "manager/daemon/reconcile/drain_plan.hpp"
#include "manager/daemon/reconcile/logical_services.hpp"

namespace sm::daemon {

namespace {

// Why an assignment of `logical` to `host` should go; empty while it stands.
std::string unwanted(const placement::PlacementRequest& request, const model::AssignmentView& named,
                     const model::ClusterSnapshot& snapshot) {
  const auto host = snapshot.hosts.find(named.host);
  if (host == snapshot.hosts.end()) return fmt::format("host {} is gone", named.host);
  if (auto infeasible = placement::checkHost(request, host->second)) return infeasible->reason;
  return "";
}

}  // namespace

AssignmentPlan planAssignments(const model::ClusterSnapshot& snapshot, const std::string& typeName,
                               std::int64_t nowMs) {
  AssignmentPlan plan;
  const auto* type = snapshot.type(typeName);
  const bool placing = type && type->stored && !snapshot.isPaused(typeName);
  auto removeAll = [&](const config::LogicalServiceId& id, const std::string& reason) {
    const auto named = snapshot.assignments.find(id);
    if (named == snapshot.assignments.end()) return;
    for (const auto& [host, view] : named->second) {
      plan.remove.push_back({host, id, {}, reason, false});
    }
  };
  for (const auto& [id, named] : snapshot.assignments) {
    if (id.type != typeName) continue;
    if (!placing) {
      removeAll(id, type ? "its type is paused" : "its type is gone");
    } else if (!type->logical.contains(id.sequence)) {
      removeAll(id, "its logical service is gone");
    }
  }
  if (!placing) return plan;

  // Instances of the type per host, with the assignments that stand or are made below: each
  // counts as the instance it will be.
  std::map<std::string, std::int64_t> typeInstances;
  for (const auto& [hostId, host] : snapshot.hosts) {
    typeInstances[hostId] = snapshot.instancesOnHost(typeName, hostId);
  }
  // And the names each host's node holds, to keep it within one document's list.
  std::map<std::string, std::size_t> namedOnHost;
  for (const auto& [id, named] : snapshot.assignments) {
    if (id.type != typeName) continue;
    for (const auto& [host, view] : named) {
      if (!snapshot.spent(view)) ++typeInstances[host];
      ++namedOnHost[host];
    }
  }
  // A name that goes: no longer an instance to be, nor in its host's node once that is written.
  auto withdraw = [&](const model::AssignmentView& view, std::string reason, bool settled) {
    plan.remove.push_back({view.host, view.logical, {}, std::move(reason), settled});
    if (!snapshot.spent(view)) --typeInstances[view.host];
    --namedOnHost[view.host];
  };

  for (const auto& [sequence, logical] : type->logical) {
    const auto& id = logical.id;
    const auto found = snapshot.assignments.find(id);
    const auto* named = found != snapshot.assignments.end() ? &found->second : nullptr;
    const bool kept = isWanted(*type, sequence);
    const auto missing = kept ? missingReplicas(snapshot, *type, logical) : 0;
    if (missing <= 0 || !snapshot.createLocks.contains(id)) {
      // Full, or its create-lock gone (read after its listings: it goes with the last replica,
      // and without it no registration can happen): the names are spent. Surplus: withdrawn.
      const std::string reason = !kept          ? "its logical service is surplus"
                                 : missing <= 0 ? "no replica is missing"
                                                : "its create-lock is gone";
      if (named) {
        for (const auto& [host, view] : *named) withdraw(view, reason, kept);
      }
      continue;
    }
    placement::PlacementRequest request{*type->stored, id, snapshot, nowMs, &typeInstances};
    // Feasible hosts, best first, and the fewest replicas of this service any of them has.
    const auto ranked = placement::rankFeasibleHosts(request);
    std::int64_t fewest = std::numeric_limits<std::int64_t>::max();
    for (const auto& host : ranked) fewest = std::min(fewest, snapshot.instancesOnHost(id, host));

    std::vector<std::string> standing;
    if (named) {
      for (const auto& [host, view] : *named) {
        if (snapshot.spent(view)) {
          withdraw(view, "its replica is placed", true);
          continue;
        }
        auto reason = unwanted(request, view, snapshot);
        if (reason.empty() && snapshot.instancesOnHost(id, host) > fewest &&
            std::any_of(ranked.begin(), ranked.end(), [&](const auto& other) {
              return !named->contains(other) && snapshot.instancesOnHost(id, other) == fewest;
            })) {
          reason = "a host with fewer of its replicas is feasible";
        }
        if (!reason.empty()) {
          withdraw(view, std::move(reason), false);
        } else {
          standing.push_back(host);
        }
      }
    }
    // More named than missing (a replica came from elsewhere, or this read saw an assignment
    // after its registration took it away): they stay; the create-lock's holder checks the count
    // on the server, and those left over go once the logical service is full.
    // Too few: the best hosts not named yet, ranked again after each (it now counts one more).
    auto wanted = missing - static_cast<std::int64_t>(standing.size());
    while (wanted-- > 0) {
      const auto again = placement::rankFeasibleHosts(request);
      const auto best = std::find_if(again.begin(), again.end(), [&](const auto& host) {
        return std::find(standing.begin(), standing.end(), host) == standing.end() &&
               namedOnHost[host] < config::kMaxNamedPerNode;
      });
      if (best == again.end()) break;  // no more feasible hosts: the status says why
      const auto replicas = snapshot.instancesOnHost(id, *best);
      plan.create.push_back(
          {*best, id, {nowMs, replicas > 0 ? kDoubleUpDelayMs : 0, replicas}, "", false});
      ++typeInstances[*best];
      ++namedOnHost[*best];
      standing.push_back(*best);
    }
  }
  return plan;
}

}  // namespace sm::daemon

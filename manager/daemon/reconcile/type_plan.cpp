#include "manager/daemon/reconcile/type_plan.hpp"

#include <fmt/format.h>

#include "config/master_eligibility.hpp"
#include "manager/daemon/placement/placement.hpp"
#include "manager/daemon/reconcile/drain_plan.hpp"
#include "manager/daemon/reconcile/logical_services.hpp"
#include "manager/daemon/reconcile/persistent_plan.hpp"

namespace sm::daemon {

namespace {

constexpr std::string_view kPlacing = "placing";

void destroyLocksOf(const std::string& typeName, const model::ClusterSnapshot& snapshot, TypePlan& plan) {
  for (const auto& [id, lock] : snapshot.createLocks) {
    if (id.type == typeName) plan.destroyLocks.push_back(id);
  }
}

std::string placingReason(std::int64_t missing) {
  return fmt::format("{} replica{} missing: {}", missing, missing == 1 ? "" : "s", kPlacing);
}

std::string shortfallReason(std::int64_t missing, const std::vector<config::HostReason>& hosts,
                            std::size_t hostCount) {
  if (hostCount == 0) return "no live host";
  if (hosts.size() == hostCount) {
    return fmt::format("{} replica{} missing: no feasible host ({} of {} hosts fail a constraint)",
                       missing, missing == 1 ? "" : "s", hosts.size(), hostCount);
  }
  return placingReason(missing);
}

// "1 persistent replica waits for its host: 3f2a... on h3 (lost, abandoned after its 300 s grace)".
std::string waitingIdentitiesReason(const model::ClusterSnapshot& snapshot, const model::ServiceTypeView& type,
                                    const model::LogicalServiceView& logical) {
  std::vector<std::string> waiting;
  for (const auto* identity : liveIdentities(snapshot, logical.id)) {
    if (logical.physical.contains(identity->uuid)) continue;
    const auto& data = *identity->data;
    std::string state(config::persistentStateName(data.state));
    // (No countdown: the status is rewritten only when what it says changes.)
    if (data.state == config::PersistentState::Lost) {
      state += fmt::format(", abandoned after its {} s grace",
                           type.stored->type.spec.hostLossGraceSeconds);
    }
    waiting.push_back(fmt::format("{} on {} ({})", identity->uuid, data.host, state));
  }
  return fmt::format("{} persistent replica{} wait{} for {} host{}: {}", waiting.size(),
                     waiting.size() == 1 ? "" : "s", waiting.size() == 1 ? "s" : "",
                     waiting.size() == 1 ? "its" : "their", waiting.size() == 1 ? "" : "s",
                     fmt::join(waiting, "; "));
}

// "no eligible instance can become master (masterHosts [h1, h2] do not match h3)", or "" when
// one may (or the type does not restrict its master).
std::string noEligibleReason(const model::ServiceTypeView& type, const model::LogicalServiceView& logical,
                             const model::ClusterSnapshot& snapshot) {
  const auto& constraints = type.stored->type.spec.constraints;
  if (!config::restrictsMaster(constraints)) return "";
  std::string why = "no instance registered";
  for (const auto& [uuid, physical] : logical.physical) {
    if (!physical.data) continue;
    const auto host = snapshot.hosts.find(physical.data->host);
    static const std::map<std::string, std::string> kNoLabels;
    const auto& labels = host != snapshot.hosts.end() && host->second.data
                             ? host->second.data->labels
                             : kNoLabels;
    auto problem = config::masterIneligibility(constraints, physical.data->host, labels);
    if (!problem) return "";
    why = *problem;
  }
  return "no eligible instance can become master (" + why + ")";
}

std::string joinReasons(const std::string& a, const std::string& b) {
  if (a.empty()) return b;
  if (b.empty()) return a;
  return a + "; " + b;
}

bool isPlacing(const config::StatusData& status) {
  return status.registered < status.wanted && status.reason.ends_with(kPlacing);
}

}  // namespace

config::StatusData statusOf(const model::ServiceTypeView& type, const model::LogicalServiceView& logical,
                            const model::ClusterSnapshot& snapshot, std::int64_t nowMs) {
  config::StatusData status;
  status.updated = nowMs;
  status.wanted = type.stored->type.spec.replicationCount;
  status.registered = static_cast<std::int64_t>(logical.physical.size());
  for (const auto& [hostId, host] : snapshot.hosts) {
    if (!host.data) continue;
    for (const auto& cooldown : host.data->cooldowns) {
      if (cooldown.type == type.name && cooldown.until > nowMs) {
        // A cooldown lasts one crash-loop window from the moment the loop was detected.
        const auto detected =
            cooldown.until - type.stored->type.spec.restart.crashLoop.windowSeconds * 1000;
        status.failures.push_back({detected, hostId, cooldown.reason});
      }
    }
  }
  if (const auto pause = snapshot.paused.find(type.name); pause != snapshot.paused.end()) {
    // Nothing is placed while paused: no "placing" to promise.
    const auto& data = pause->second.data;
    status.reason = data && !data->reason.empty() ? "paused: " + data->reason : "paused";
    if (status.registered < status.wanted) {
      status.reason += fmt::format("; {} replica{} missing, not placed while paused",
                                   status.wanted - status.registered,
                                   status.wanted - status.registered == 1 ? "" : "s");
    }
  } else if (status.registered < status.wanted &&
             occupiedReplicas(snapshot, logical) >= status.wanted) {
    // Persistent replicas that will start again where their data is: nothing to place.
    status.reason = waitingIdentitiesReason(snapshot, type, logical);
  } else if (status.registered < status.wanted) {
    placement::PlacementRequest request{*type.stored, logical.id, snapshot, nowMs};
    status.hosts = placement::infeasibleHosts(request);
    status.reason =
        shortfallReason(status.wanted - status.registered, status.hosts, snapshot.hosts.size());
  }
  if (!logical.physical.empty()) {
    status.reason = joinReasons(status.reason, noEligibleReason(type, logical, snapshot));
  }
  // spec.promotion: a first member that is not promoted (maxLag) says why in its data.
  if (!logical.election.empty() && logical.election.front().data &&
      !logical.election.front().data->held.empty()) {
    status.reason = joinReasons(status.reason,
                                "no master: not promoted: " + logical.election.front().data->held);
  }
  return status;
}

bool sameStatus(const config::StatusData& a, const config::StatusData& b) {
  auto x = a;
  x.updated = b.updated;
  return x == b;
}

bool statusWorthWriting(const config::StatusData& desired,
                        const std::optional<config::StatusData>& stored) {
  // No node yet: nothing to say while the first replicas are placed without trouble, nor once
  // they are (the listings count them): a status is written when there is a reason or a failure,
  // and a placement without trouble writes none.
  if (!stored) return (!desired.reason.empty() && !isPlacing(desired)) || !desired.failures.empty();
  if (sameStatus(desired, *stored)) return false;
  // While replicas are being placed the count moves with every placement: that is progress, not
  // news, and not worth a write each; the end of it (full, or stuck) is.
  return !(isPlacing(desired) && isPlacing(*stored) && desired.wanted == stored->wanted &&
           desired.failures == stored->failures);
}

TypePlan planServiceType(const std::string& typeName, const model::ClusterSnapshot& snapshot,
                         std::int64_t nowMs) {
  TypePlan plan;
  const model::ServiceTypeView* type = snapshot.type(typeName);
  if (!type) {
    destroyLocksOf(typeName, snapshot, plan);
    return plan;
  }
  if (!type->stored) {
    // Nothing is created, removed or stopped for a spec nobody can read; its logical services say
    // why, so that `servicesctl describe` shows it beside the running instances.
    for (const auto& [sequence, logical] : type->logical) {
      config::StatusData status;
      status.updated = nowMs;
      status.wanted = logical.status ? logical.status->wanted : 0;
      status.registered = static_cast<std::int64_t>(logical.physical.size());
      status.reason = "the type's spec cannot be read (" + type->error +
                      "); nothing is changed until it is fixed";
      if (statusWorthWriting(status, logical.status)) {
        plan.statuses.emplace_back(logical.id, std::move(status));
      }
    }
    return plan;
  }
  if (snapshot.isPaused(typeName)) {
    // Paused: nothing created, removed, placed or abandoned; the statuses say so.
    for (const auto& [sequence, logical] : type->logical) {
      auto status = statusOf(*type, logical, snapshot, nowMs);
      if (statusWorthWriting(status, logical.status)) {
        plan.statuses.emplace_back(logical.id, std::move(status));
      }
    }
    return plan;
  }
  const auto& spec = type->stored->type.spec;
  plan.identities = planIdentities(snapshot, typeName, nowMs);

  plan.createLogical = std::max<std::int64_t>(
      0, spec.serviceCount - static_cast<std::int64_t>(type->logical.size()));
  for (const auto& [sequence, logical] : type->logical) {
    const bool hasLock = snapshot.createLocks.contains(logical.id);
    if (!isWanted(*type, sequence)) {
      if (hasLock) plan.destroyLocks.push_back(logical.id);
      if (logical.physical.empty()) plan.removeLogical.push_back(logical.id);
      continue;
    }
    // (A drain's surge asks for one more than replicationCount: placementTarget.)
    const bool short_ = missingReplicas(snapshot, *type, logical) > 0;
    if (short_ && !hasLock) plan.createLocks.push_back(logical.id);
    if (!short_ && hasLock) plan.destroyLocks.push_back(logical.id);
    auto status = statusOf(*type, logical, snapshot, nowMs);
    if (statusWorthWriting(status, logical.status)) {
      plan.statuses.emplace_back(logical.id, std::move(status));
    }
  }
  // Locks of logical services that no longer exist.
  for (const auto& [id, lock] : snapshot.createLocks) {
    if (id.type == typeName && !type->logical.contains(id.sequence))
      plan.destroyLocks.push_back(id);
  }
  return plan;
}

}  // namespace sm::daemon

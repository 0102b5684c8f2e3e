#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "manager/model/cluster_snapshot.hpp"
#include "manager/daemon/reconcile/handover_plan.hpp"

namespace sm::daemon {

// servicesctl drain: a draining host (cordons/<host> with drain) hands its masters over, then its
// instances move elsewhere one logical service at a time. Pure.

// The replicas placement aims at: replicationCount, plus one (a surge) while a registered instance
// of a non-persistent type stands on a draining host, so that its replacement is registered
// before it stops. Persistent instances take no surge: their place is their identity's.
std::int64_t placementTarget(const model::ClusterSnapshot& snapshot, const model::ServiceTypeView& type,
                             const model::LogicalServiceView& logical);
// Replicas placement still has to make: placementTarget less the occupied places (registered
// instances and a persistent type's live identities); 0 or less when full.
std::int64_t missingReplicas(const model::ClusterSnapshot& snapshot, const model::ServiceTypeView& type,
                             const model::LogicalServiceView& logical);

// One of this host's instances the drain stops now.
struct DrainStop {
  enum class Identity {
    None,     // not persistent
    Keep,     // persistent: stopped, its identity (and data) kept for this host
    Abandon,  // persistent with --move-persistent: a new identity is placed elsewhere
  };
  config::PhysicalServiceId id;
  Identity identity = Identity::None;
  std::string reason;
};

struct DrainPlan {
  std::vector<Requeue> handovers;  // masters (and members ahead of the first staying one)
  std::vector<DrainStop> stops;
};

// For this host, when it drains. At most one instance of a logical service moves at a time (of
// those on draining hosts: secondaries first, then by uuid); it stops once `replicationCount`
// other instances run (its replacement among them), or, when no host can take a replacement, once
// stopping it leaves `replicationCount - 1`. A master stops only after it handed over, unless
// no member outside draining hosts stands to take over.
DrainPlan planDrain(const model::ClusterSnapshot& snapshot, const std::string& hostId,
                    std::int64_t nowMs);

}  // namespace sm::daemon

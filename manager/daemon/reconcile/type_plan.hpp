#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/status_data.hpp"
#include "manager/model/cluster_snapshot.hpp"
#include "manager/daemon/reconcile/persistent_plan.hpp"

namespace sm::daemon {

// What the holder of locks/serviceConfigMonitor/<type> must write to make the tree match the type:
// computed from a snapshot alone, so running it twice on the same tree plans nothing the second
// time.
struct TypePlan {
  std::int64_t createLogical = 0;                       // logical services to add
  std::vector<config::LogicalServiceId> removeLogical;  // surplus ones whose instances stopped
  std::vector<config::LogicalServiceId> createLocks;    // short of replicas, no lock node
  std::vector<config::LogicalServiceId> destroyLocks;   // full, surplus, or type gone
  std::vector<std::pair<config::LogicalServiceId, config::StatusData>> statuses;  // changed ones
  std::vector<IdentityChange> identities;  // a persistent type's: lost, abandoned, surplus
  bool empty() const {
    return createLogical == 0 && removeLogical.empty() && createLocks.empty() &&
           destroyLocks.empty() && statuses.empty() && identities.empty();
  }
};

// `typeName` may be absent from the snapshot (deleted): then only its create-locks are removed.
// An unreadable type is left as it is. `nowMs` stamps status documents and expires cooldowns.
TypePlan planServiceType(const std::string& typeName, const model::ClusterSnapshot& snapshot,
                         std::int64_t nowMs);

// The status a logical service should show now; `updated` is `nowMs`.
config::StatusData statusOf(const model::ServiceTypeView& type, const model::LogicalServiceView& logical,
                            const model::ClusterSnapshot& snapshot, std::int64_t nowMs);

// Status documents that differ only in their time stamp say the same thing: not rewritten.
bool sameStatus(const config::StatusData& a, const config::StatusData& b);
// Whether `desired` should replace what is stored (or be created): not for a mere time stamp, nor
// for the count of a logical service whose replicas are being placed (that changes with every
// placement, and a new logical service has no status node until there is a reason or a failure
// to report: one whose replicas are placed without trouble never has one).
bool statusWorthWriting(const config::StatusData& desired,
                        const std::optional<config::StatusData>& stored);

}  // namespace sm::daemon

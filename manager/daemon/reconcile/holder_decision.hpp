#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "manager/model/cluster_snapshot.hpp"

namespace sm::daemon {

// What the holder of a logical service's create-lock does, decided from the snapshot (with this
// pass's own placements) and the count the server gave after a sync().
struct HolderDecision {
  enum class Kind {
    Release,  // nothing to place here (full, infeasible, gone): leave the queue
    Yield,    // another host became better since we queued: leave, queue again after `delay`
    Place,    // start (or register a survivor) here
  };
  Kind kind = Kind::Release;
  std::string reason;  // for the log
  std::chrono::milliseconds delay{0};
  bool lastReplica = false;  // Place: this one fills the logical service (the lock goes after)
};

struct HolderSituation {
  const model::ClusterSnapshot& snapshot;
  config::LogicalServiceId logical;
  std::string hostId;
  std::int64_t nowMs = 0;
  // Replicas that hold a place now: the physical services on the server after a sync(), with a
  // persistent type's live identities (persistent_plan.hpp); -1: the logical service is gone.
  std::int64_t registeredNow = 0;
  std::size_t queuedRank = 0;      // this host's rank when it queued (it waited that long)
  bool yieldedBefore = false;      // gave way once already for this lock
  bool survivor = false;           // this host runs a survivor of the logical service
};

// Pure. A host yields once at most (the better host may be dead or stuck); a survivor never yields,
// since its process runs already and only its registration is missing.
HolderDecision decideAsHolder(const HolderSituation& situation);

}  // namespace sm::daemon

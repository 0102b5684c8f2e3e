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
    Place,    // start (or register a survivor) here
  };
  Kind kind = Kind::Release;
  std::string reason;  // for the log
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
};

// Pure. The ranking and the constraints that look beyond the host were the monitor holder's, when
// it named this host (assignment_plan.hpp); the holder checks again what it can see itself: the
// type, the logical service still short (after a sync), this host's own constraints.
HolderDecision decideAsHolder(const HolderSituation& situation);

}  // namespace sm::daemon

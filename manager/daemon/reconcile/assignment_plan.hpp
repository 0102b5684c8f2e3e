#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/assignment_data.hpp"
#include "manager/model/cluster_snapshot.hpp"

namespace sm::daemon {

// Flat placement: the holder of a type's config monitor names, for each logical service short of
// replicas, as many candidate hosts as replicas are missing (one assignment each, in the host's
// own inbox), so that only those hosts read, queue for the create-lock and place. The ranking is
// Nomad-style (placement/placement.hpp); each assignment made counts as an instance on its host
// for the next logical service, so that the replicas of a burst spread instead of all going to
// the host that ranked best before it.
//
// Level-triggered: an assignment stands while its host is registered and feasible, it is
// needed and its host has not placed its replica yet; one whose host is gone, infeasible or no
// longer wanted is removed (and, if the replica is still missing, another host named in the same
// plan), so that a dead or cordoned candidate is replaced at once, without a timeout. A second
// replica on one host is named only when no host without one is feasible, and queues after
// kDoubleUpDelay; a better host that appears meanwhile takes its place.
struct AssignmentChange {
  std::string host;
  config::LogicalServiceId logical;
  config::AssignmentData data;  // Create only
  std::string reason;           // Remove only: for the log
  // Remove only: the entry is merely spent (its replica placed, or none missing), so it may wait
  // for the next write of its host's node (assignment_nodes.hpp) instead of costing one.
  bool settled = false;
};

struct AssignmentPlan {
  std::vector<AssignmentChange> create;
  std::vector<AssignmentChange> remove;
  bool empty() const { return create.empty() && remove.empty(); }
};

// How long a host waits before it queues for a second replica of one logical service.
inline constexpr std::int64_t kDoubleUpDelayMs = 3000;

// `typeName` may be absent (deleted) or paused: then its assignments are removed.
AssignmentPlan planAssignments(const model::ClusterSnapshot& snapshot, const std::string& typeName,
                               std::int64_t nowMs);

}  // namespace sm::daemon

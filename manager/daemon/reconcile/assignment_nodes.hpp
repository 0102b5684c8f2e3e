#pragma once

#include <optional>
#include <string>
#include <vector>

#include "config/assignment_data.hpp"
#include "manager/daemon/reconcile/assignment_plan.hpp"
#include "manager/model/cluster_snapshot.hpp"

namespace sm::daemon {

// What a monitor holder writes to apply an AssignmentPlan: each host's names of the type live in
// one node, assignments/<host>/<type>, so a pass writes each host's node once at most.
//
// A node is written when a host is named, when a name is withdrawn (the host is gone, infeasible,
// or the type paused: the write moves the node's version on, and the registration's multi()
// checks the version it read, so a withdrawn host cannot register), or when it cannot be read.
// Spent names (settled) go only with such a write: a node whose names are all spent stays until
// its host is named again, so in a burst a host's node is written once, when it is named, and a
// later burst sets it again. A spent name whose replica goes later counts as a name again (its
// host has no more replicas than when named): that host is named again, without a write.
struct AssignmentNodeWrite {
  std::string host;
  std::string type;
  std::optional<config::AssignmentsData> data;  // nullopt: remove the node
  bool exists = false;                          // set it (else create it)
};

std::vector<AssignmentNodeWrite> planAssignmentNodes(const model::ClusterSnapshot& snapshot,
                                                     const std::string& typeName,
                                                     const AssignmentPlan& plan);

}  // namespace sm::daemon

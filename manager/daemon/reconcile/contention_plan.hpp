#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "manager/model/cluster_snapshot.hpp"

namespace sm::daemon {

// A create-lock this host contends for: the holder of the type's config monitor named it a
// candidate (reconcile/assignment_plan.hpp) and the logical service is still short of replicas.
// Only named hosts queue, so a placement costs the same whatever the size of the cluster.
struct Contention {
  config::LogicalServiceId logical;
  // How long after first seeing the assignment this host may queue (a second replica on one host
  // waits: kDoubleUpDelayMs).
  std::chrono::milliseconds delay{0};
};

std::vector<Contention> planContention(const model::ClusterSnapshot& snapshot,
                                       const std::string& hostId);

}  // namespace sm::daemon

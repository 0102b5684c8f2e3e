#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "manager/model/cluster_snapshot.hpp"

namespace sm::daemon {

// Planned handovers (servicesctl switchover, and a drain's masters): the failover chain is
// reordered through the election itself. The members between the master and the target queue
// again at the end; once the target is second, the master is told `unknown` and queues again at
// the end, which makes the target master at its predecessor's watch, as in any failover. Pure.

// One of this host's election members that must queue again at the end of its chain.
struct Requeue {
  config::LogicalServiceId logical;
  std::string uuid;    // its physical service
  std::string member;  // the member name it has in the snapshot: requeued once, not once a pass
  bool master = false;  // first in the chain: told `unknown` before its member goes
  std::string reason;   // for the log
};

// What this host requeues so that the member at `targetIndex` of `logical`'s chain becomes first.
std::vector<Requeue> requeuesToward(const model::LogicalServiceView& logical, std::size_t targetIndex,
                                    const std::string& hostId, const std::string& reason);

// A switchover request this host removes: done (its target is master, and runs here) or expired
// (its deadline passed; removed by the master's host).
struct SwitchoverEnd {
  config::LogicalServiceId logical;
  std::int32_t version = 0;
  bool done = false;
};

struct SwitchoverPlan {
  std::vector<Requeue> requeues;
  std::vector<SwitchoverEnd> ends;
};
SwitchoverPlan planSwitchovers(const model::ClusterSnapshot& snapshot, const std::string& hostId,
                               std::int64_t nowMs);

}  // namespace sm::daemon

#pragma once
// The one loop behind `wait --ready` and `apply --wait`: read the tree, judge each type, and sleep
// until a watch on something read fires; never a timer but the deadline.
#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "manager/ctl/context.hpp"
#include "manager/ctl/readiness.hpp"

namespace sm::ctl {

struct ReadinessOutcome {
  bool ready = false;                // every type ready before the deadline
  std::vector<TypeReadiness> types;  // as last read, in the order asked
};

// Called after every read with the types' readiness (for progress output).
using ReadinessObserver = std::function<void(const std::vector<TypeReadiness>&)>;

// Returns as soon as every type is ready, or when `timeout` has passed. Throws CliError (exit 1)
// when the session expires, zk::ZkError for other ZooKeeper failures.
ReadinessOutcome waitUntilReady(Context& ctx, const std::vector<std::string>& types,
                                std::chrono::milliseconds timeout,
                                const ReadinessObserver& observer = {});

}  // namespace sm::ctl

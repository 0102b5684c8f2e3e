#include "manager/ctl/readiness_wait.hpp"

#include <algorithm>

#include "manager/ctl/cluster_wait.hpp"

namespace sm::ctl {

ReadinessOutcome waitUntilReady(Context& ctx, const std::vector<std::string>& types,
                                std::chrono::milliseconds timeout,
                                const ReadinessObserver& observer) {
  ReadOptions read;
  if (types.size() == 1) read.type = types.front();
  ReadinessOutcome outcome;
  outcome.ready = waitForCluster(ctx, read, timeout, [&](const model::ClusterSnapshot& snapshot) {
    outcome.types.clear();
    for (const auto& type : types) outcome.types.push_back(assessType(snapshot, type));
    if (observer) observer(outcome.types);
    return std::all_of(outcome.types.begin(), outcome.types.end(),
                       [](const TypeReadiness& t) { return t.ready(); });
  });
  return outcome;
}

}  // namespace sm::ctl

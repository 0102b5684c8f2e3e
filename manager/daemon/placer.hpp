#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>

#include "manager/daemon/context.hpp"
#include "manager/daemon/local_instances.hpp"
#include "manager/model/cluster_snapshot.hpp"
#include "manager/daemon/reconcile/contention_plan.hpp"
#include "manager/zk/queue_member.hpp"

namespace sm::daemon {

// Bigdata's "create physical service" task without its every-host churn: a manager queues for a
// logical service's create-lock only when its host passes every constraint, and only at once when
// it ranks best among the feasible hosts (others join after a delay that grows with their rank).
// It queues for one lock at a time, so that each choice sees its own previous placements. The
// holder checks again against the server and decides (reconcile/holder_decision.hpp) to release,
// yield once, or start one instance; it registers the instance, fenced by its place in the queue,
// once its process runs, and removes the lock when the logical service is full.
//
// Nothing here waits: a queue position, a process start and a registration each end a pass, and
// the event that follows (the position, the process's start) wakes the loop for the next step.
class Placer {
 public:
  Placer(DaemonContext& context, LocalInstances& instances);
  ~Placer();

  // Returns when the loop should look again even if nothing changes (a delayed contention, a
  // start that takes too long).
  std::optional<std::chrono::steady_clock::time_point> reconcile(const model::ClusterSnapshot& snapshot,
                                                                 std::int64_t nowMs);
  void leaveAll();
  void forgetAll();

 private:
  struct Contender {
    std::chrono::steady_clock::time_point firstSeen;  // its rank's delay counts from then
    std::chrono::steady_clock::time_point notBefore;  // after a yield or a failed attempt
    std::size_t queuedRank = 0;  // this host's rank when it queued (it waited that long)
    bool yielded = false;        // gave way to a better host once already
    std::shared_ptr<zk::QueueMember> member;
    // Started while holding the lock; registered once its process runs.
    std::optional<config::PhysicalServiceId> launched;
    std::chrono::steady_clock::time_point launchDeadline;
    bool fills = false;  // the launched instance is the logical service's last replica
  };
  enum class Step { Waiting, Done, Placed };
  void enqueue(const config::LogicalServiceId& id, Contender& contender,
               const Contention& contention);
  void release(Contender& contender, std::chrono::steady_clock::time_point notBefore);
  // While holding the lock: decides, then starts one instance or registers a survivor.
  Step hold(const config::LogicalServiceId& id, Contender& contender,
            model::ClusterSnapshot& working, std::int64_t nowMs);
  // While holding the lock with a launched instance: registers it once it runs.
  Step registerLaunched(const config::LogicalServiceId& id, Contender& contender,
                        model::ClusterSnapshot& working, std::int64_t nowMs);
  // Later rounds of this pass see what was just placed; a full logical service loses its lock.
  void recordPlaced(const config::LogicalServiceId& id, const config::PhysicalServiceId& physical,
                  bool fills, model::ClusterSnapshot& working, std::int64_t nowMs);

  DaemonContext& context_;
  LocalInstances& instances_;
  std::map<config::LogicalServiceId, Contender> contenders_;
};

}  // namespace sm::daemon

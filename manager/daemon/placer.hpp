#pragma once

#include <condition_variable>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

#include "manager/daemon/context.hpp"
#include "manager/daemon/local_instances.hpp"
#include "manager/daemon/model/cluster_snapshot.hpp"
#include "manager/daemon/reconcile/contention_plan.hpp"
#include "manager/zk/queue_member.hpp"

namespace sm::daemon {

// Bigdata's "create physical service" task without its every-host churn: a manager queues for a
// logical service's create-lock only when its host passes every constraint, and only at once when
// it ranks best among the feasible hosts (others join after a delay that grows with their rank).
// It queues for one lock at a time, so that each choice sees its own previous placements. The
// holder checks again against the server, yields once (for its rank's delay) if another host has
// become better meanwhile, else starts one instance, registers it fenced by its place in the queue,
// and leaves; it removes the lock when the logical service is full.
class Placer {
 public:
  Placer(DaemonContext& context, LocalInstances& instances);
  ~Placer();

  // Returns when the loop should look again even if nothing changes (a delayed contention).
  std::optional<std::chrono::steady_clock::time_point> reconcile(const ClusterSnapshot& snapshot,
                                                                 std::int64_t nowMs);
  void leaveAll();
  void forgetAll();

 private:
  // Set from the session's thread when our queue node becomes the first.
  struct HeadOfQueue {
    std::mutex mutex;
    std::condition_variable reached;
    bool first = false;
    bool isFirst() {
      std::lock_guard lock(mutex);
      return first;
    }
  };
  struct Contender {
    std::chrono::steady_clock::time_point firstSeen;  // its rank's delay counts from then
    std::chrono::steady_clock::time_point notBefore;  // after a yield or a failed attempt
    std::size_t queuedRank = 0;  // this host's rank when it queued (it waited that long)
    bool yielded = false;        // gave way to a better host once already
    std::shared_ptr<zk::QueueMember> member;
    std::shared_ptr<HeadOfQueue> head = std::make_shared<HeadOfQueue>();
  };
  void enqueue(const config::LogicalServiceId& id, Contender& contender,
               const Contention& contention);
  void release(Contender& contender, std::chrono::steady_clock::time_point notBefore);
  // While holding the lock: starts and registers one instance (updating `working` with it), or
  // yields. Returns true when it placed one.
  bool place(const config::LogicalServiceId& id, Contender& contender, ClusterSnapshot& working,
             std::int64_t nowMs);

  DaemonContext& context_;
  LocalInstances& instances_;
  std::map<config::LogicalServiceId, Contender> contenders_;
};

}  // namespace sm::daemon

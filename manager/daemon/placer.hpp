#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>

#include "manager/daemon/context.hpp"
#include "manager/daemon/local_instances.hpp"
#include "manager/daemon/model/cluster_snapshot.hpp"
#include "manager/zk/queue_member.hpp"

namespace sm::daemon {

// Bigdata's "create physical service" task without its every-host churn: a manager queues for a
// logical service's create-lock only when its host passes every constraint, and only at once when
// it ranks best among the feasible hosts (others join after a delay that grows with their rank).
// The holder checks again against the server, starts one instance, registers it fenced by its
// place in the queue, and leaves; it removes the lock when the logical service is full.
class Placer {
 public:
  // How much later than the best host the host ranked n-th queues: n times this.
  static constexpr std::chrono::milliseconds kRankDelay{300};

  Placer(DaemonContext& context, LocalInstances& instances);
  ~Placer();

  // Returns when the loop should look again even if nothing changes (a delayed contention).
  std::optional<std::chrono::steady_clock::time_point> reconcile(const ClusterSnapshot& snapshot,
                                                                 std::int64_t nowMs);
  void leaveAll();
  void forgetAll();

 private:
  struct Contender {
    std::chrono::steady_clock::time_point firstSeen;
    std::shared_ptr<zk::QueueMember> member;
    std::shared_ptr<std::atomic<bool>> first = std::make_shared<std::atomic<bool>>(false);
  };
  void enqueue(const config::LogicalServiceId& id, Contender& contender, double score);
  // Starts and registers one instance while holding the lock; updates `working` with it.
  void place(const config::LogicalServiceId& id, Contender& contender, ClusterSnapshot& working,
             std::int64_t nowMs);

  DaemonContext& context_;
  LocalInstances& instances_;
  std::map<config::LogicalServiceId, Contender> contenders_;
};

}  // namespace sm::daemon

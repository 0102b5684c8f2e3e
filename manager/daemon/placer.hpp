#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>

#include "manager/daemon/context.hpp"
#include "manager/daemon/local_instances.hpp"
#include "manager/model/cluster_snapshot.hpp"
#include "manager/daemon/reconcile/contention_plan.hpp"
#include "manager/zk/queue_member.hpp"

namespace sm::daemon {

// Bigdata's "create physical service" task without its every-host churn (flat placement): a
// manager queues for a logical service's create-lock only when the holder of the type's config
// monitor named it a candidate (an assignment in its inbox, reconcile/assignment_plan.hpp), or to
// register again a survivor of its expired session. It queues for several logical services at
// once (each has its own lock and its own decision). The holder of a lock checks again against
// the server and decides (reconcile/holder_decision.hpp) to release or start one instance; it
// registers the instance once its process runs, in one multi() fenced by its place in the queue
// and by the version of the inbox node that names it (a host whose name was withdrawn meanwhile
// does not register), and removes the lock when the logical service is full.
//
// Nothing here waits: each contender takes at most one step per pass (queue, start, register),
// and the event that follows (its position, its process's start) wakes the loop for the next.
class Placer {
 public:
  Placer(DaemonContext& context, LocalInstances& instances);
  ~Placer();

  // Returns when the loop should look again even if nothing changes (a delayed contention, a
  // start that takes too long). `longPasses`: this manager holds a type's config monitor, so each
  // of its passes reads that type whole and takes long; it then keeps twice as many placements in
  // flight, so that its own share advances as fast as the other hosts' (one step per pass each).
  std::optional<std::chrono::steady_clock::time_point> reconcile(
      const model::ClusterSnapshot& snapshot, std::int64_t nowMs, bool longPasses = false);
  void leaveAll();
  void forgetAll();
  // The logical services it queues for or waits on (what it must keep reading).
  std::set<config::LogicalServiceId> contending() const;

 private:
  struct Contender {
    std::chrono::steady_clock::time_point firstSeen;  // its delay counts from then
    std::chrono::steady_clock::time_point notBefore;  // after a declined or failed attempt
    std::shared_ptr<zk::QueueMember> member;
    // The inbox node that names this host, at the version last read naming it (none for a
    // survivor): the registration checks it.
    std::optional<zk::Op> named;
    // Started while holding the lock; registered once its process runs.
    std::optional<config::PhysicalServiceId> launched;
    std::chrono::steady_clock::time_point launchDeadline;
    bool fills = false;  // the launched instance is the logical service's last replica
  };
  enum class Step { Waiting, Done, Placed };
  // A place in the create-lock queue of each of `ids` (contenders already), all made at once;
  // those whose lock is not there (not made yet, or gone meanwhile) are forgotten, and the
  // lock's creation wakes the loop.
  void enqueue(const std::vector<config::LogicalServiceId>& ids,
               const model::ClusterSnapshot& snapshot);
  std::shared_ptr<zk::QueueMember> newMember(const config::LogicalServiceId& id,
                                             Contender& contender,
                                             const model::ClusterSnapshot& snapshot);
  // Forgets the contenders of `ids` that are in no queue; returns their ids.
  std::vector<config::LogicalServiceId> forgetInactive(
      const std::vector<config::LogicalServiceId>& ids);
  // Wakes the loop when the create-lock of each of `ids` is made (at once if it is there now).
  void watchLockCreations(const std::vector<config::LogicalServiceId>& ids);
  // What this host may contend for now: its assignments, and its survivors' logical services.
  std::map<config::LogicalServiceId, Contention> wanted(const model::ClusterSnapshot& snapshot,
                                                        std::int64_t nowMs) const;
  // The check of the inbox node that names this host for `id` in `snapshot`, if it does.
  std::optional<zk::Op> namedCheck(const config::LogicalServiceId& id,
                                   const model::ClusterSnapshot& snapshot) const;
  void release(Contender& contender, std::chrono::steady_clock::time_point notBefore,
               bool placeTaken = false);
  // The holder checks again against the server before starting anything: for every held lock
  // with nothing launched yet, its logical service's registered replicas (nullopt: it is gone),
  // read all at once, after a sync unless each holder learned it holds over the connection the
  // reads go over (zk::QueueMember::heldThrough).
  std::map<config::LogicalServiceId, std::optional<std::vector<std::string>>> registeredOfHeld();
  // While holding the lock: decides from `registered`, then starts one instance or registers a
  // survivor.
  Step hold(const config::LogicalServiceId& id, Contender& contender,
            const model::ClusterSnapshot& snapshot, std::int64_t nowMs,
            const std::optional<std::vector<std::string>>& registered);
  // While holding the lock with a launched instance: registers it once it runs.
  Step registerLaunched(const config::LogicalServiceId& id, Contender& contender);
  // A full logical service loses its create-lock.
  void recordPlaced(const config::LogicalServiceId& id, bool fills);

  DaemonContext& context_;
  LocalInstances& instances_;
  std::map<config::LogicalServiceId, Contender> contenders_;
};

}  // namespace sm::daemon

#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/physical_service_data.hpp"
#include "config/service_type_codec.hpp"
#include "manager/daemon/context.hpp"
#include "manager/daemon/lease_renewer.hpp"
#include "manager/daemon/loop_inbox.hpp"
#include "manager/daemon/master_lease.hpp"
#include "manager/model/cluster_snapshot.hpp"
#include "manager/daemon/reconcile/failure_tracker.hpp"
#include "manager/daemon/reconcile/handover_plan.hpp"
#include "manager/daemon/reconcile/instance_lifecycle.hpp"
#include "manager/daemon/reconcile/instance_plan.hpp"
#include "manager/observe/observed_state.hpp"
#include "manager/supervisor/supervisor.hpp"
#include "manager/zk/election.hpp"
#include "manager/zk/op.hpp"

namespace sm::daemon {

// The instances this manager runs: each a supervised process, its ephemeral physicalService znode
// and its election member, with one lifecycle phase (reconcile/instance_lifecycle.hpp).
//
// Every method runs on the reconcile loop's thread, which alone owns this state: there is no lock.
// The supervisor's thread, the session's dispatcher and the lease thread only post events to the
// loop (loop_inbox.hpp), which hands them to handle(). The time-critical ones (a process exit,
// becoming master) are applied as soon as the loop takes them, ahead of its next full pass.
class LocalInstances {
 public:
  LocalInstances(DaemonContext& context, LoopInbox& inbox);
  ~LocalInstances();

  void handle(const ProcessEvent& event);
  void handle(const ElectionEvent& event);
  // A score hook ended (spec.promotion): its score is published in the instance's election node.
  void handle(const ScoreEvent& event);
  // A lease round trip ended: masters get the new deadline, or `unknown` when it lapsed.
  void handle(const LeaseEvent& event);
  // The connection to ZooKeeper dropped: masters are told `unknown` at once rather than when
  // their lease lapses, because a session ended from outside (or expired while we were away) may
  // already have a successor. connectionBack() renews at once; masters still first are again.
  void connectionLost();
  void connectionBack();
  // The session the orphan guard ends at once should this process die (session_will.hpp).
  void setSessionWill(const std::string& hosts, const zk::SessionCredentials& session);

  // Spawns a process for a new physical service without waiting for it. Returns the error when it
  // could not be spawned (missing work dir, refused spec); the instance is then forgotten.
  std::optional<std::string> launch(const config::PhysicalServiceId& id,
                                    const config::StoredServiceType& type);
  // Starts a persistent identity again on this host (its data is here): same uuid, same data
  // directory. Registered by registerIdentities() once its process runs, fenced on the identity's
  // version, without the create-lock: the identity already holds its replica's place.
  std::optional<std::string> resume(const config::PhysicalServiceId& id,
                                    const config::StoredServiceType& type,
                                    const model::PersistentServiceView& identity);
  // Registers resumed identities whose process runs, and survivors of persistent types (an expired
  // session took their registration; their identity still holds the place).
  void registerIdentities(const model::ClusterSnapshot& snapshot);
  // Every instance this manager has, in any phase.
  std::set<std::string> uuids() const;
  // The physical service an instance id (its uuid) stands for, if it is one of ours.
  std::optional<config::PhysicalServiceId> idOf(const std::string& uuid) const;
  enum class LaunchState { Starting, Running, Ended };
  // How a launched (or surviving) instance the placer waits for is doing.
  LaunchState launchState(const std::string& uuid) const;
  // Creates its physicalService znode and election member in one multi() that also deletes
  // `placeInQueue` (our node in the create-lock): the registration happens only if we still hold
  // the lock, and releases it in the same write; `named` (the version check of the inbox node
  // that names this host, if any) goes in it too, so a withdrawn name fails the registration. On
  // failure the instance is stopped.
  bool registerInstance(const config::PhysicalServiceId& id, const std::string& placeInQueue,
                        const std::optional<zk::Op>& named = std::nullopt);
  // Demotes (role `unknown`, withdrawn), then stops its process.
  void stop(const std::string& uuid, const std::string& reason);
  // Stopping or gone (or never ours): a stop() of it now does nothing.
  bool stopping(const std::string& uuid) const;
  void update(const std::string& uuid, const config::PhysicalServiceData& data);
  // Writes its physicalService data from what this manager knows (over unreadable data).
  void rewrite(const std::string& uuid);

  // Keeps each instance told its peers, and each secondary who its master is (epoch and peer),
  // from the tree: the election recipe reports only the predecessor a member watches.
  void followMasters(const model::ClusterSnapshot& snapshot);

  // spec.promotion (local_instances_promotion.cpp): takes the scores that are due (a new first
  // member of the chain, a periodic refresh), and decides for each candidate — an instance that
  // became first and was not told master yet — whether it takes over, hands its turn to a fresher
  // member or holds (promotion_plan.hpp). Returns when it must look again.
  std::optional<std::chrono::steady_clock::time_point> promote(const model::ClusterSnapshot& snapshot,
                                                               std::int64_t nowMs);

  // A planned handover (handover_plan.hpp): the instance's member queues again at the end of its
  // chain; a master is told `unknown` before its member goes. False when its member is no longer
  // the one planned on (requeued already) or could not be replaced yet.
  bool requeue(const Requeue& requeue);
  // Keeps election membership matching masterHosts/masterLabels as stored now: an instance that
  // is no longer eligible leaves the election (a master is told `unknown` first) and serves as a
  // secondary; one that became eligible stands again at the end of the chain.
  void enforceEligibility(const model::ClusterSnapshot& snapshot);
  // The types paused now (paused/<type>): their exits are not restarted in place.
  void setPausedTypes(std::set<std::string> types);
  // A drain stops a persistent instance that stays this host's: its identity says stopped.
  void stopKeepingIdentity(const std::string& uuid, const std::string& reason);
  // The time-driven part of a pass: steady runs, retried withdrawals and rejoins, survivors whose
  // time is up, forgetting instances that are gone.
  void tick(std::int64_t nowMs);

  std::vector<LocalInstanceView> views() const;
  // Every instance as the HTTP endpoint shows it (manager/observe/): phase, told role and lease.
  std::vector<observe::ObservedInstance> observe() const;
  std::int64_t runningCount() const;
  FailureTracker& failures() { return failures_; }

  // Graceful stop: masters hand over first, then the rest; returns when every process is gone,
  // and renews no lease after that.
  void stopAll();
  // The session expired and took every registration with it. Each instance is told `unknown` at
  // once and, if it was running, becomes a survivor: the placer registers it again, through the
  // create-lock like a new instance, if its logical service still needs it; otherwise the plan
  // stops it. Survivors still waiting when their time is up are stopped (I3).
  void orphanAll();
  void setSurvivorDeadline(std::chrono::steady_clock::time_point deadline);
  void stopSurvivors(const std::string& reason);
  // When tick() has survivors to stop, if any survivor waits.
  std::optional<std::chrono::steady_clock::time_point> survivorDeadline() const;
  // A survivor of `logical` that the placer registers again, if this host has one (not of a
  // persistent type: registerIdentities() registers those).
  std::optional<config::PhysicalServiceId> survivorOf(const config::LogicalServiceId& logical) const;
  // The logical services it has instances of (any phase): what the daemon keeps reading.
  std::set<config::LogicalServiceId> logicalServices() const;
  // Every survivor survivorOf would name.
  std::vector<config::PhysicalServiceId> survivors() const;

 private:
  struct Instance;
  // The one place a phase changes: the pure transition, then its effects in order.
  void apply(Instance& instance, const LifecycleEvent& event, const std::string& why = "");
  void perform(Instance& instance, Effect effect, const LifecycleEvent& event,
               const std::string& why);
  void tell(Instance& instance, supervisor::RoleState state);
  void tellMaster(Instance& instance, std::uint64_t leaseDeadlineNs);
  void withdrawElection(Instance& instance);
  void withdrawAll(Instance& instance);
  void forgetElection(Instance& instance);
  void rejoin(Instance& instance);
  void follow(Instance& instance, const std::string& electionNode);
  // Creates its member at the end of its logical service's election (a registration's last op);
  // nullopt when this host is not eligible to run its master.
  std::optional<zk::Op> electionMemberOp(const Instance& instance) const;
  bool mayLead(const Instance& instance) const;
  // After a registration's multi(): follows its member (the last result) when it stands, else it
  // serves as a secondary only.
  void followOrServe(Instance& instance, const std::vector<zk::OpResult>& results, bool standing);
  // Stands again at the end of its chain (a requeue, or eligible again).
  bool joinElection(Instance& instance);
  void tellSecondary(Instance& instance);
  // followMasters for one instance: notes the master the tree shows and, for a secondary that
  // should follow a new one, puts it in `state` (returns whether it did).
  bool followMaster(Instance& instance, const model::LogicalServiceView& logical,
                    const model::ClusterSnapshot& snapshot, supervisor::RoleState& state);
  // events/: what happened to an instance, queued in context_.events.
  void recordEvent(const Instance& instance, std::string_view kind, std::string message);
  void recordProcessEvent(const Instance& instance, const supervisor::InstanceEvent& event);
  void recordMaster(const Instance& instance, const ElectionEvent& event, bool wasSecondary);
  void recordFailure(Instance& instance, const LifecycleEvent& event, const std::string& why);
  nlohmann::json peerOf(const Instance& instance) const;
  config::PhysicalServiceData dataOf(const Instance& instance) const;
  // Its services/<type>/<uuid> record as of now (a persistent instance that runs here).
  config::PersistentServiceData identityOf(const Instance& instance,
                                           config::PersistentServiceData base) const;
  std::optional<std::string> spawn(const config::PhysicalServiceId& id,
                                   const config::StoredServiceType& type);
  // Graceful stop: its identity says stopped (it starts again with this manager).
  void markStopped(Instance& instance);
  // spec.promotion (local_instances_promotion.cpp).
  bool promotes(const Instance& instance) const;
  void startCandidacy(Instance& instance, const ElectionEvent& event);
  void runScore(Instance& instance, std::int64_t round);
  void decide(Instance& instance, const model::ClusterSnapshot& snapshot,
              const model::LogicalServiceView& logical, std::int64_t nowMs,
              std::optional<std::chrono::steady_clock::time_point>& next);
  void takeOver(Instance& instance, const std::string& why);
  void handOver(Instance& instance, const std::string& target, const std::string& why,
                std::int64_t nowMs);
  void hold(Instance& instance, const std::string& why);
  // Sets its election node's data (scores, held, master), when it changed.
  void publish(Instance& instance, const config::ElectionData& data);
  Instance* find(const std::string& uuid);
  const Instance* find(const std::string& uuid) const;

  DaemonContext& context_;
  LoopInbox& inbox_;
  MasterLease lease_;
  FailureTracker failures_;
  std::map<std::string, std::unique_ptr<Instance>> instances_;
  bool cutOff_ = false;  // no connection: no instance may act as master
  std::set<std::string> pausedTypes_;
  // The best promotion score this manager saw published for each logical service (maxLag).
  std::map<config::LogicalServiceId, std::int64_t> bestSeen_;
  std::optional<std::chrono::steady_clock::time_point> survivorDeadline_;
  LeaseRenewer renewer_;
  // Last: its event thread posts to the inbox until it is destroyed.
  std::unique_ptr<supervisor::Supervisor> supervisor_;
};

}  // namespace sm::daemon

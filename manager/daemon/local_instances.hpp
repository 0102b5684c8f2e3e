#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/physical_service_data.hpp"
#include "config/service_type_codec.hpp"
#include "manager/daemon/context.hpp"
#include "manager/daemon/master_lease.hpp"
#include "manager/daemon/model/cluster_snapshot.hpp"
#include "manager/daemon/reconcile/failure_tracker.hpp"
#include "manager/daemon/reconcile/instance_plan.hpp"
#include "manager/supervisor/supervisor.hpp"
#include "manager/zk/election.hpp"

namespace sm::daemon {

// The instances this manager runs: each is a supervised process, its ephemeral physicalService
// znode and its election member. The reconcile loop starts and stops them; two paths are faster
// than a loop pass because failover speed depends on them: a process exit withdraws the instance
// from the tree at once (from the supervisor's event, on the session's thread), and an election
// change reaches the process's role file from the election callback itself.
class LocalInstances {
 public:
  explicit LocalInstances(DaemonContext& context);
  ~LocalInstances();

  // Starts a process for a new physical service and waits until it runs. Returns the error when it
  // could not start (missing binary, ...); the instance is then forgotten.
  std::optional<std::string> launch(const config::PhysicalServiceId& id,
                                    const config::StoredServiceType& type,
                                    std::chrono::milliseconds timeout);
  // Creates its physicalService znode and election member in one multi() that also deletes
  // `placeInQueue` (our node in the create-lock): the registration happens only if we still hold
  // the lock, and releases it in the same write. On failure the process is stopped.
  bool registerInstance(const config::PhysicalServiceId& id, const std::string& placeInQueue);
  // Withdraws the instance (a master is told first that it no longer is one, then its election
  // member goes, so the successor starts only after it stopped acting as master) and stops its
  // process.
  void stop(const std::string& uuid, const std::string& reason);
  void update(const std::string& uuid, const config::PhysicalServiceData& data);
  // Writes its physicalService data from what this manager knows (over unreadable data).
  void rewrite(const std::string& uuid);

  // Keeps each instance told its peers, and each secondary who its master is (epoch and peer),
  // from the tree: the election recipe reports only the predecessor a member watches.
  void followMasters(const ClusterSnapshot& snapshot);

  std::vector<LocalInstanceView> views();
  std::int64_t runningCount();
  // Forgets instances whose process has ended; records unplanned exits in the failure tracker.
  void collectEnded();
  FailureTracker& failures() { return failures_; }

  // Graceful stop: masters hand over first, then the rest; returns when every process is gone,
  // and renews no lease after that.
  void stopAll();
  // The session expired and took every registration with it. Each instance is told `unknown` at
  // once (no role the tree no longer backs) and becomes a survivor: the placer registers it again,
  // through the create-lock like a new instance, if its logical service still needs it; otherwise
  // the plan stops it. stopSurvivors() ends those still waiting when their time is up (I3).
  void orphanAll();
  // The connection to ZooKeeper dropped: masters are told `unknown` at once rather than when their
  // lease lapses, because a session ended from outside (or expired while we were away) may already
  // have a successor. connectionBack() renews at once, and they are masters again if still first.
  void connectionLost();
  void connectionBack();
  // Survivors not registered again by `deadline` are stopped then.
  void setSurvivorDeadline(std::chrono::steady_clock::time_point deadline);
  void stopSurvivors(const std::string& reason);
  void stopOverdueSurvivors();
  // When stopOverdueSurvivors() has work, if any survivor waits.
  std::optional<std::chrono::steady_clock::time_point> survivorDeadline();
  // A survivor of `logical`, if this host has one.
  std::optional<config::PhysicalServiceId> survivorOf(const config::LogicalServiceId& logical);

 private:
  struct Instance;
  void onEvent(const supervisor::InstanceEvent& event);
  // Election callbacks, for the registration they were made for: a callback of an election that a
  // session expiry ended must not touch the instance's next registration.
  void becameMaster(const std::shared_ptr<Instance>& instance, int registration,
                    std::int64_t epoch);
  void becameSecondary(const std::shared_ptr<Instance>& instance, int registration);
  void lostCandidacy(const std::shared_ptr<Instance>& instance, int registration);
  // Writes the role file (and sends the notice on a change); under the instance's roleMutex.
  void tellLocked(Instance& instance, supervisor::RoleState state);
  nlohmann::json peerOf(const Instance& instance);
  // Renews the lease of every master this host runs, every quarter of the session timeout, and
  // tells masters whose lease lapsed (ZooKeeper unreachable) that they are no longer masters.
  void renewLeases();
  void renewLeasesOf(const std::vector<std::shared_ptr<Instance>>& instances);
  void stopLeases();
  void withdraw(const std::shared_ptr<Instance>& instance);
  std::shared_ptr<Instance> find(const std::string& uuid);
  config::PhysicalServiceData dataOf(const Instance& instance);

  DaemonContext& context_;
  MasterLease lease_;
  FailureTracker failures_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<std::string, std::shared_ptr<Instance>> instances_;
  bool stopping_ = false;
  bool renewNow_ = false;            // under mutex_: the lease thread renews without waiting
  std::atomic<bool> cutOff_{false};  // no connection: no instance may act as master
  std::optional<std::chrono::steady_clock::time_point> survivorDeadline_;
  std::thread leaseThread_;
  // Last: its event thread may call onEvent until it is destroyed.
  std::unique_ptr<supervisor::Supervisor> supervisor_;
};

}  // namespace sm::daemon

#pragma once
// The faults of the chaos suite. Each one is injected and healed (a killed daemon restarted, a
// frozen one thawed, a stopped server started, garbage replaced by the good spec) before inject()
// returns; every random choice comes from the seeded generator, so that a seed replays the same
// sequence of faults and victims.
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "tests/chaos/chaos_cluster.hpp"

namespace sm::test::chaos {

enum class FaultKind {
  KillService,     // SIGKILL one managed process
  KillDaemon,      // SIGKILL a daemon, start it again once its session is gone
  FreezeDaemon,    // SIGSTOP a daemon (mostly past the session timeout), then SIGCONT
  StopServer,      // stop one ZooKeeper server (the leader half the time), then start it again
  ExpireSession,   // end a daemon's session from outside (attach with its id and password, close)
  GarbageConfig,   // write garbage into config/<type>, then apply the good spec with --force
  CutOffDaemon,    // cut a running daemon off every server until its session expires, then heal
  HangMaster,      // SIGSTOP a master's process: its health check fails, its daemon fails it over
  KillRestarting,  // SIGKILL a managed process, then its restarts in place as they appear
  Switchover,      // servicesctl switchover to a random secondary, --wait
  DrainHost,       // servicesctl drain a host holding a master, --wait, then uncordon
  // Only on namespaced hosts (chaos_ensemble.hpp):
  PartitionHost,    // cut a daemon's host off the network silently (dropped, not refused), heal
  IsolateZkServer,  // cut one ZooKeeper server off its peers (or off everything), heal
};

// Every kind a loopback cluster can take (the default set there).
const std::vector<FaultKind>& allFaultKinds();
// allFaultKinds() and the kinds that cut links: the default set on namespaced hosts.
const std::vector<FaultKind>& namespacedFaultKinds();
// Whether a kind needs namespaced hosts.
bool needsNamespacedHosts(FaultKind kind);
std::string faultName(FaultKind kind);
// "kill_service,freeze_daemon" -> kinds; throws std::invalid_argument naming an unknown one.
std::vector<FaultKind> parseFaultKinds(const std::string& text);

struct FaultOutcome {
  bool ok = true;      // false: the harness could not inject or heal it (error says why)
  std::string detail;  // what was done, for the log
  std::string error;
};

// A managed process the tree shows running, with where it is registered.
struct RunningInstance {
  config::PhysicalServiceId id;
  std::string key;  // "<type>/logicalService<seq>"
  std::string host;
  pid_t pid = 0;
  bool master = false;  // first in its election
};

class FaultInjector {
 public:
  FaultInjector(ChaosCluster& cluster, std::uint64_t seed, bool longFreezesOnly = false)
      : cluster_(cluster), random_(seed), longFreezesOnly_(longFreezesOnly) {}

  FaultKind pick(const std::vector<FaultKind>& kinds);
  // Told (with the host id) just before a session is closed from outside.
  std::function<void(const std::string&)> onForcedClose;
  // Told what a fault could not do as planned, without that being a failure (a CHAOS-NOTE).
  std::function<void(const std::string&)> onNote;
  // Injects the fault and heals it; returns when the fault is over.
  FaultOutcome inject(FaultKind kind);

 private:
  std::uint64_t below(std::uint64_t n) { return random_() % n; }
  std::chrono::milliseconds between(int lowMs, int highMs) {
    return std::chrono::milliseconds(lowMs + static_cast<int>(below(highMs - lowMs + 1)));
  }
  std::string pickHost();
  // A host that runs a master, if any (a freeze there is what can make two masters).
  std::string pickHostWithMaster();
  void note(const std::string& what) {
    if (onNote) onNote(what);
  }
  // Every instance with a live process, in an order a seed reproduces (by logical service, host).
  std::vector<RunningInstance> runningInstances();

  FaultOutcome killService();
  FaultOutcome killDaemon();
  FaultOutcome freezeDaemon();
  FaultOutcome stopServer();
  FaultOutcome expireSession();
  FaultOutcome garbageConfig();
  FaultOutcome cutOffDaemon();
  FaultOutcome hangMaster();      // restart_faults.cpp
  FaultOutcome killRestarting();  // restart_faults.cpp
  FaultOutcome switchover();      // operation_faults.cpp
  FaultOutcome drainHost();       // operation_faults.cpp
  FaultOutcome partitionHost();    // network_faults.cpp
  FaultOutcome isolateZkServer();  // network_faults.cpp

  ChaosCluster& cluster_;
  std::mt19937_64 random_;
  bool longFreezesOnly_;
};

}  // namespace sm::test::chaos

// Faults: a master process SIGKILLed, a whole daemon SIGKILLed.
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include "config/lock_contender_data.hpp"
#include "manager/zk/election.hpp"
#include "tests/daemon/support/daemon_cluster.hpp"
#include "tests/support/wait_for.hpp"

namespace sm::test {
namespace {

using std::chrono::milliseconds;

class DaemonFailover : public DaemonTest {
 protected:
  // SIGKILLs the master process; checks the takeover (higher epoch) and the recovery to 3.
  void killMasterOnce() {
    const auto before = snapshot();
    const auto& logical = before.type("Demo")->logical.begin()->second;
    const InstanceInfo victim = *logical.master();
    const std::int64_t oldEpoch = logical.masterEntry()->sequence;
    std::vector<InstanceInfo> others;
    for (const auto& [uuid, i] : logical.instances) {
      if (uuid != victim.uuid) others.push_back(i);
    }
    ASSERT_EQ(others.size(), 2u);

    const auto killedAt = std::chrono::steady_clock::now();
    ASSERT_EQ(::kill(static_cast<pid_t>(victim.pid), SIGKILL), 0);
    std::string successor;
    std::int64_t newEpoch = 0;
    const bool tookOver = waitFor(
        [&] {
          for (const auto& i : others) {
            auto role = readRole(i.host, i.uuid);
            if (role && services::isMasterNow(*role) && role->epoch > oldEpoch) {
              successor = i.uuid;
              newEpoch = role->epoch;
              return true;
            }
          }
          return false;
        },
        milliseconds(5000), milliseconds(1));
    const auto failover = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - killedAt);
    ASSERT_TRUE(tookOver) << "no other instance became master with an epoch above " << oldEpoch
                          << " within 5 s of the SIGKILL\n"
                          << stateDump();
    std::cout << "kill -> successor's role file says master: " << failover.count() << " us (epoch "
              << oldEpoch << " -> " << newEpoch << ")\n";

    ASSERT_TRUE(waitConverged("Demo", 1, 3, milliseconds(15000), true));
    const auto after = snapshot();
    const auto& now = after.type("Demo")->logical.begin()->second;
    bool fresh = false;
    for (const auto& [uuid, i] : now.instances) {
      EXPECT_FALSE(uuid == victim.uuid && i.pid == victim.pid)
          << "the killed process is still registered";
      if (!logical.instances.count(uuid) || i.pid != logical.instances.at(uuid).pid) fresh = true;
    }
    EXPECT_TRUE(fresh) << "no new instance registered:\n" << after.str();
    EXPECT_EQ(now.masterEntry()->physical, successor) << after.str();
    EXPECT_EQ(now.masterEntry()->sequence, newEpoch);
  }

  // The host holding the config monitor lock of `type` (first in its queue), "" if none.
  std::string monitorHolder(const std::string& type) {
    const std::string dir = layout().serviceConfigMonitorLock(type);
    auto members = zk::Election::members(*session_, dir);
    if (members.empty()) return "";
    auto data = config::decodeLockContenderData(members.front().data, dir);
    return data ? data.value().host : "";
  }
};

// Acceptance 2: another instance's role file says master with a higher epoch, and replication is
// back to 3 with a new registration.
TEST_F(DaemonFailover, MasterProcessKilledAnotherTakesOverAndReplicationRecovers) {
  ASSERT_TRUE(startSpreadDemo());
  auto sampler = startSampler();

  for (int round = 1; round <= 3; ++round) {
    SCOPED_TRACE(fmt::format("round {}", round));
    killMasterOnce();
    if (HasFatalFailure()) return;
  }
  sampler->stop();
  expectOneMasterThroughout(*sampler);
}

// Acceptance 3: a daemon SIGKILLed takes its children with it; once its session expires the others
// restore what the constraints allow (maxPerHost 1 and 2 hosts: 2 of 3), and status says why.
TEST_F(DaemonFailover, DaemonKilledChildrenDieAndSurvivorsRestoreWhatConstraintsAllow) {
  ASSERT_TRUE(startSpreadDemo());
  auto sampler = startSampler();

  const auto before = snapshot();
  const auto& logical = before.type("Demo")->logical.begin()->second;
  // The config monitor holder: the survivors must take over the type's reconciliation to restore
  // the replica and write the status.
  std::string victimHost = monitorHolder("Demo");
  if (victimHost.empty()) victimHost = logical.master()->host;
  std::cout << "killing " << victimHost << " (config monitor holder"
            << (victimHost == logical.master()->host ? ", and the master's host)" : ")") << "\n";
  const std::int64_t oldEpoch = logical.masterEntry()->sequence;
  const bool masterOnVictim = victimHost == logical.master()->host;
  std::vector<long long> children;
  for (const auto& [uuid, i] : logical.instances) {
    if (i.host == victimHost) children.push_back(i.pid);
  }
  ASSERT_FALSE(children.empty());
  // The sampler sees the cluster before the kill (what follows takes milliseconds now).
  ASSERT_TRUE(waitFor([&] { return sampler->samples() > 20; }, milliseconds(5000)));

  const auto killedAt = std::chrono::steady_clock::now();
  daemon(victimHost).kill();
  EXPECT_TRUE(waitFor([&] { return noneAlive(children); }, milliseconds(3000), milliseconds(2)))
      << "children of the SIGKILLed daemon still run: "
      << fmt::format("{}", fmt::join(children, " "));

  std::string problem;
  const bool restored = waitFor(
      [&] {
        const auto tree = snapshot();
        if (tree.hosts.count(victimHost)) {
          problem = "the dead host is still registered";
          return false;
        }
        problem = convergenceProblem(tree, "Demo", 1, 2, true);
        if (!problem.empty()) return false;
        const auto& l = tree.type("Demo")->logical.begin()->second;
        for (const auto& [uuid, i] : l.instances) {
          if (i.host == victimHost) {
            problem = "an instance of the dead host is still registered";
            return false;
          }
        }
        if (masterOnVictim && l.masterEntry()->sequence <= oldEpoch) {
          problem = "the master's epoch did not grow";
          return false;
        }
        if (!masterOnVictim && l.masterEntry()->sequence != oldEpoch) {
          problem = "the master changed although its host survived";
          return false;
        }
        if (!l.status || l.status->registered != 2 || l.status->wanted != 3 ||
            l.status->reason.empty()) {
          problem = "status is not \"2 of 3\" with a reason";
          return false;
        }
        return true;
      },
      milliseconds(20000), milliseconds(20));
  const auto took =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - killedAt);
  EXPECT_TRUE(restored) << problem << "\n" << stateDump();
  std::cout << "daemon SIGKILL -> survivors restored 2 of 3 (status written): " << took.count()
            << " ms (session timeout 3000 ms)\n";
  if (restored) {
    const auto tree = snapshot();
    const auto& status = *tree.type("Demo")->logical.begin()->second.status;
    std::string hostReasons;
    for (const auto& h : status.hosts) hostReasons += " [" + h.host + ": " + h.reason + "]";
    std::cout << "status: " << status.registered << " of " << status.wanted << ": " << status.reason
              << hostReasons << "\n";
    EXPECT_FALSE(status.hosts.empty()) << "no reason per host";
  }
  sampler->stop();
  expectOneMasterThroughout(*sampler);
}

// Invariant I1 with a frozen manager: the master's daemon is SIGSTOPped, so its child keeps running
// and nobody rewrites its role file. Its lease must lapse before another instance becomes master
// (the sampler sees at most one master at any time), another takes over once the session expires,
// and after SIGCONT the cluster converges again.
// A daemon that dies while its host lives: its orphan guard kills its processes, then ends its
// session (session_will.hpp), so the successor does not wait for the session timeout (3 s here).
TEST_F(DaemonFailover, DaemonKilledItsGuardEndsItsSessionAndTheSuccessorTakesOverAtOnce) {
  ASSERT_TRUE(startSpreadDemo());
  auto sampler = startSampler();
  const auto before = snapshot();
  const auto& logical = before.type("Demo")->logical.begin()->second;
  const InstanceInfo master = *logical.master();
  const std::int64_t oldEpoch = logical.masterEntry()->sequence;
  // The sampler sees the master before the kill, and the gap after it.
  ASSERT_TRUE(waitFor([&] { return sampler->samples() > 20; }, milliseconds(5000)));

  const auto killedAt = std::chrono::steady_clock::now();
  daemon(master.host).kill();
  std::string successor;
  const bool tookOver = waitFor(
      [&] {
        for (const auto& [uuid, i] : logical.instances) {
          if (i.host == master.host) continue;
          auto role = readRole(i.host, uuid);
          if (role && services::isMasterNow(*role) && role->epoch > oldEpoch) {
            successor = uuid;
            return true;
          }
        }
        return false;
      },
      milliseconds(1500), milliseconds(1));
  const auto took = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() -
                                                             killedAt);
  ASSERT_TRUE(tookOver) << "no successor within 1.5 s, half the 3 s session timeout: the session "
                           "was not ended by the guard\n"
                        << stateDump();
  std::cout << fmt::format("daemon SIGKILL -> successor master: {} ms\n", took.count());
  // Its processes were gone before its session ended.
  EXPECT_FALSE(pidAlive(static_cast<pid_t>(master.pid)));
  ASSERT_TRUE(waitConverged("Demo", 1, 2, milliseconds(20000), true));
  sampler->stop();
  expectOneMasterThroughout(*sampler);
}

TEST_F(DaemonFailover, FrozenManagerLeaseLapsesBeforeAnotherBecomesMaster) {
  ASSERT_TRUE(startSpreadDemo());
  auto sampler = startSampler();

  const auto before = snapshot();
  const auto& logical = before.type("Demo")->logical.begin()->second;
  const InstanceInfo frozen = *logical.master();
  const std::int64_t oldEpoch = logical.masterEntry()->sequence;
  std::vector<InstanceInfo> others;
  for (const auto& [uuid, i] : logical.instances) {
    if (uuid != frozen.uuid) others.push_back(i);
  }
  const auto frozenAt = std::chrono::steady_clock::now();
  daemon(frozen.host).signal(SIGSTOP);

  const bool lapsed = waitFor(
      [&] {
        auto role = readRole(frozen.host, frozen.uuid);
        return role && !services::isMasterNow(*role);
      },
      milliseconds(10000), milliseconds(1));
  const auto lapseMs =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - frozenAt);
  EXPECT_TRUE(lapsed) << "the frozen manager's master still holds a valid lease after 10 s";
  std::string successor;
  const bool tookOver = waitFor(
      [&] {
        for (const auto& i : others) {
          auto role = readRole(i.host, i.uuid);
          if (role && services::isMasterNow(*role) && role->epoch > oldEpoch) {
            successor = i.uuid;
            return true;
          }
        }
        return false;
      },
      milliseconds(15000), milliseconds(1));
  const auto takeoverMs =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - frozenAt);
  std::cout << "frozen " << frozen.host << ": its master's lease lapsed after " << lapseMs.count()
            << " ms, another became master after " << takeoverMs.count()
            << " ms (session timeout 3000 ms)\n";
  EXPECT_TRUE(tookOver) << "nobody took over from the frozen manager's master\n" << stateDump();
  if (lapsed && tookOver) {
    EXPECT_LT(lapseMs, takeoverMs) << "the lease lapsed only after another became master";
  }
  if (pidAlive(static_cast<pid_t>(frozen.pid))) {
    auto role = readRole(frozen.host, frozen.uuid);
    EXPECT_TRUE(role && !services::isMasterNow(*role))
        << "the frozen manager's child still acts as master after the takeover";
  }

  daemon(frozen.host).signal(SIGCONT);
  std::string problem;
  const bool back = waitFor(
      [&] {
        const auto tree = snapshot();
        problem = convergenceProblem(tree, "Demo", 1, 3, true);
        if (!problem.empty()) return false;
        if (!tree.hosts.count(frozen.host)) {
          problem = frozen.host + " has not registered again";
          return false;
        }
        // The old child may be registered again (by a new session) or gone, not running unknown.
        bool registered = false;
        for (const auto& [key, i] : tree.allInstances()) registered |= i.pid == frozen.pid;
        if (!registered && pidAlive(static_cast<pid_t>(frozen.pid))) {
          problem = "the thawed manager's old child still runs unregistered";
          return false;
        }
        return true;
      },
      milliseconds(20000), milliseconds(20));
  EXPECT_TRUE(back) << "after SIGCONT: " << problem << "\n" << stateDump();
  EXPECT_TRUE(daemon(frozen.host).running()) << "the thawed daemon exited";
  sampler->stop();
  std::cout << "sampler: " << sampler->report();
  expectOneMasterThroughout(*sampler);
}

// Invariants I2 and I3 after a session expiry, without a master involved: a daemon that runs only
// a secondary is frozen until ZooKeeper expires its session (its host node goes), then thawed. It
// must notice the expiry, open a new session and register the same process again (maxPerHost 1
// leaves its replica to no other host, so the logical service still needs it): no restart, no
// duplicate, the cluster converged and the daemon still running.
TEST_F(DaemonFailover, ExpiredSessionDaemonRegistersItsStillNeededInstanceAgain) {
  ASSERT_TRUE(startSpreadDemo());
  auto sampler = startSampler();
  const auto before = snapshot();
  const auto& logical = before.type("Demo")->logical.begin()->second;
  std::string victim;
  std::int64_t victimPid = 0;
  for (const auto& [uuid, i] : logical.instances) {
    if (uuid != logical.master()->uuid) {
      victim = i.host;
      victimPid = i.pid;
    }
  }
  ASSERT_FALSE(victim.empty());
  daemon(victim).signal(SIGSTOP);
  const bool expired =
      waitFor([&] { return !hostLive(victim); }, milliseconds(15000), milliseconds(10));
  daemon(victim).signal(SIGCONT);
  ASSERT_TRUE(expired) << "hosts/" << victim << " still there 15 s after freezing its daemon";

  std::string problem;
  const bool back = waitFor(
      [&] {
        if (!daemon(victim).running()) {
          problem = victim + " exited";
          return true;  // no point waiting
        }
        const auto tree = snapshot();
        if (!tree.hosts.count(victim)) {
          problem = victim + " has not registered again";
          return false;
        }
        problem = convergenceProblem(tree, "Demo", 1, 3, true);
        return problem.empty();
      },
      milliseconds(20000), milliseconds(20));
  EXPECT_TRUE(back && problem.empty())
      << "after its session expired and it was thawed: " << problem << "\n"
      << stateDump();
  EXPECT_TRUE(daemon(victim).running())
      << victim << " exited with " << daemon(victim).exitCode().value_or(-1) << "\n"
      << daemon(victim).logTail(30);
  EXPECT_EQ(logical.masterEntry()->sequence,
            snapshot().type("Demo")->logical.begin()->second.masterEntry()->sequence)
      << "the master changed although only a secondary's manager was frozen";
  std::int64_t pidNow = 0;
  for (const auto& [key, i] : snapshot().allInstances()) {
    if (i.host == victim) pidNow = i.pid;
  }
  EXPECT_EQ(pidNow, victimPid) << "the process was not registered again (restarted instead)\n"
                               << daemon(victim).logTail(30);
  sampler->stop();
  expectOneMasterThroughout(*sampler);
}

// The other branch of session expiry: while a frozen daemon's session is gone, another host takes
// its replica (no maxPerHost), so once thawed its process is no longer needed. It must stop that
// process rather than register a fourth replica, never with two masters.
TEST_F(DaemonFailover, ExpiredSessionSurvivorIsStoppedWhenItWasReplaced) {
  DemoType demo;
  demo.replicas = 2;
  ASSERT_TRUE(startDaemonsAndConverge(demo, milliseconds(15000)));
  auto sampler = startSampler();
  const auto before = snapshot();
  const auto& logical = before.type("Demo")->logical.begin()->second;
  const InstanceInfo frozen = *logical.master();
  daemon(frozen.host).signal(SIGSTOP);
  // Replaced: two registered instances again, neither the frozen one.
  const bool replaced = waitFor(
      [&] {
        const auto tree = snapshot();
        const auto* type = tree.type("Demo");
        if (!type || type->logical.empty()) return false;
        const auto& now = type->logical.begin()->second;
        return now.instances.size() == 2 && !now.instances.count(frozen.uuid) && now.master();
      },
      milliseconds(20000), milliseconds(20));
  daemon(frozen.host).signal(SIGCONT);
  ASSERT_TRUE(replaced) << "the frozen daemon's replica was not replaced\n" << stateDump();

  const bool stopped = waitFor([&] { return !pidAlive(static_cast<pid_t>(frozen.pid)); },
                               milliseconds(15000), milliseconds(20));
  EXPECT_TRUE(stopped) << "the replaced survivor still runs\n" << daemon(frozen.host).logTail(30);
  EXPECT_TRUE(waitConverged("Demo", 1, 2, milliseconds(15000)));
  EXPECT_TRUE(daemon(frozen.host).running()) << frozen.host << " exited";
  EXPECT_NE(daemon(frozen.host).logTail(200).find("has its 2 replicas without it"),
            std::string::npos)
      << daemon(frozen.host).logTail(30);
  sampler->stop();
  expectOneMasterThroughout(*sampler);
}

// Invariant I2 after a ZooKeeper server crash (restarted at once on the same port and data, so the
// sessions survive): the daemons reconnect and the cluster stays or comes back converged, never
// with two masters.
TEST_F(DaemonFailover, ZooKeeperServerRestartKeepsTheClusterConverged) {
  ASSERT_TRUE(startSpreadDemo(2));
  auto sampler = startSampler();
  const auto restartedAt = std::chrono::steady_clock::now();
  server().restart();
  ASSERT_TRUE(session_->waitConnected(milliseconds(15000)));
  EXPECT_TRUE(waitConverged("Demo", 2, 3, milliseconds(20000), true));
  std::cout << "converged again "
            << std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() -
                                                        restartedAt)
                   .count()
            << " ms after the server restart began\n";
  // A write after the restart is picked up (the daemons' watches were set again).
  const auto scaled = ctl({"scale", "Demo", "--services", "3"});
  EXPECT_EQ(scaled.exitCode, 0) << scaled.out << scaled.err;
  EXPECT_TRUE(waitConverged("Demo", 3, 3, milliseconds(20000), true));
  for (const std::string host : {"h1", "h2", "h3"}) {
    EXPECT_TRUE(daemon(host).running()) << host << " exited";
  }
  sampler->stop();
  std::cout << "sampler: " << sampler->report();
  expectOneMasterThroughout(*sampler);
}

}  // namespace
}  // namespace sm::test

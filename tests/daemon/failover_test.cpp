// Faults: a master process SIGKILLed, a whole daemon SIGKILLed.
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <signal.h>

#include "tests/daemon/support/daemon_cluster.hpp"
#include "tests/support/wait_for.hpp"

namespace sm::test {
namespace {

using std::chrono::milliseconds;

class DaemonFailover : public DaemonTest {};

// Acceptance 2: another instance's role file says master with a higher epoch, and replication is
// back to 3 with a new registration.
TEST_F(DaemonFailover, MasterProcessKilledAnotherTakesOverAndReplicationRecovers) {
  startDaemons();
  ASSERT_FALSE(HasFailure());
  DemoType demo;
  demo.replicas = 3;
  demo.constraints = "    maxPerHost: 1\n";
  apply(demo);
  ASSERT_TRUE(waitConverged("Demo", 1, 3, milliseconds(15000), true));
  auto sampler = startSampler();

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
  const auto failover =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() -
                                                            killedAt);
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
  sampler->stop();
  expectOneMasterThroughout(*sampler);
}

// Acceptance 3: a daemon SIGKILLed takes its children with it; once its session expires the others
// restore what the constraints allow (maxPerHost 1 and 2 hosts: 2 of 3), and status says why.
TEST_F(DaemonFailover, DaemonKilledChildrenDieAndSurvivorsRestoreWhatConstraintsAllow) {
  startDaemons();
  ASSERT_FALSE(HasFailure());
  DemoType demo;
  demo.replicas = 3;
  demo.constraints = "    maxPerHost: 1\n";
  apply(demo);
  ASSERT_TRUE(waitConverged("Demo", 1, 3, milliseconds(15000), true));
  auto sampler = startSampler();

  const auto before = snapshot();
  const auto& logical = before.type("Demo")->logical.begin()->second;
  const std::string victimHost = logical.master()->host;  // the master's host: a failover too
  const std::int64_t oldEpoch = logical.masterEntry()->sequence;
  std::vector<long long> children;
  for (const auto& [uuid, i] : logical.instances) {
    if (i.host == victimHost) children.push_back(i.pid);
  }
  ASSERT_FALSE(children.empty());

  const auto killedAt = std::chrono::steady_clock::now();
  daemon(victimHost).kill();
  EXPECT_TRUE(waitFor(
      [&] {
        for (auto pid : children) {
          if (pidAlive(static_cast<pid_t>(pid))) return false;
        }
        return true;
      },
      milliseconds(3000), milliseconds(2)))
      << "children of the SIGKILLed daemon still run: " << fmt::format("{}", fmt::join(children, " "));

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
        if (l.masterEntry()->sequence <= oldEpoch) {
          problem = "the master's epoch did not grow";
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
  std::cout << "daemon SIGKILL -> survivors restored with a new master: " << took.count()
            << " ms (session timeout 3000 ms)\n";
  if (restored) {
    const auto tree = snapshot();
    const auto& status = *tree.type("Demo")->logical.begin()->second.status;
    std::string hostReasons;
    for (const auto& h : status.hosts) hostReasons += " [" + h.host + ": " + h.reason + "]";
    std::cout << "status: " << status.registered << " of " << status.wanted << ": "
              << status.reason << hostReasons << "\n";
    EXPECT_FALSE(status.hosts.empty()) << "no reason per host";
  }
  sampler->stop();
  expectOneMasterThroughout(*sampler);
}

}  // namespace
}  // namespace sm::test

// ZooKeeper outages (invariants I1, I2, I3, I6): the server down when a daemon starts, down for
// longer than the master lease while a cluster runs, and down when a daemon is asked to stop.
#include <signal.h>

#include <map>
#include <thread>

#include <gtest/gtest.h>

#include "tests/daemon/support/daemon_cluster.hpp"
#include "tests/support/wait_for.hpp"

namespace sm::test {
namespace {

using std::chrono::milliseconds;

class DaemonOutage : public DaemonTest {
 protected:
  // The binary's server is shared by its tests: whatever a test does, it serves again afterwards.
  void TearDown() override {
    startServer();
    EXPECT_TRUE(waitSessionReads());
    DaemonTest::TearDown();
  }
  void stopServer() { server().server().stop(); }
  void startServer() {
    if (server().server().running()) return;
    server().server().start();
    ASSERT_TRUE(server().server().waitServing(milliseconds(30000)))
        << server().server().lastError();
  }
  static std::size_t count(const std::string& text, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
  }
};

// Started while ZooKeeper is down, a daemon retries with a clear line per attempt and does not
// exit; once the server serves it registers its host and places work.
TEST_F(DaemonOutage, StartedWhileZooKeeperIsDownItRetriesThenJoins) {
  stopServer();
  auto& h1 = startDaemon(daemonOptions("h1"), /*waitReady=*/false);
  const bool retried = waitFor([&] { return count(h1.log(), "cannot reach ZooKeeper at") >= 2; },
                               milliseconds(20000), milliseconds(50));
  EXPECT_TRUE(retried) << h1.logTail(20);
  EXPECT_NE(h1.log().find("retrying in"), std::string::npos) << h1.logTail(20);
  ASSERT_TRUE(h1.running()) << "the daemon exited while ZooKeeper was down\n" << h1.logTail(20);

  startServer();
  ASSERT_TRUE(session_->waitConnected(milliseconds(15000)));
  EXPECT_TRUE(waitFor([&] { return hostLive("h1"); }, milliseconds(20000), milliseconds(20)))
      << h1.logTail(20);
  DemoType demo;
  demo.replicas = 1;
  apply(demo);
  EXPECT_TRUE(waitConverged("Demo", 1, 1));
}

// ZooKeeper down for twice the session timeout: every child keeps running, secondaries stay
// secondaries, the master's role drops to unknown when its lease lapses (never two masters), and
// when the server is back the same processes are registered with the same master and epoch: an
// outage is not a failover.
TEST_F(DaemonOutage, OutageLongerThanTheLeaseKeepsChildrenAndEndsWithoutFailover) {
  ASSERT_TRUE(startSpreadDemo());
  const auto before = snapshot();
  const auto& logical = before.type("Demo")->logical.begin()->second;
  const InstanceInfo master = *logical.master();
  const std::int64_t epoch = logical.masterEntry()->sequence;
  std::map<std::string, InstanceInfo> instances(logical.instances.begin(), logical.instances.end());
  auto sampler = startSampler();

  const auto downAt = std::chrono::steady_clock::now();
  stopServer();
  const bool lapsed = waitFor(
      [&] {
        auto role = readRole(master.host, master.uuid);
        return role && role->role == services::Role::Unknown;
      },
      milliseconds(5000), milliseconds(5));
  EXPECT_TRUE(lapsed) << "the master still says master 5 s into the outage\n" << stateDump();
  for (const auto& [uuid, i] : instances) {
    if (uuid == master.uuid) continue;
    auto role = readRole(i.host, uuid);
    EXPECT_TRUE(role && role->role == services::Role::Secondary)
        << "secondary " << uuid << " changed its role during the outage";
  }
  // The fault lasts two session timeouts (this is the outage, not a wait for a condition).
  std::this_thread::sleep_until(downAt + milliseconds(6000));
  for (const auto& [uuid, i] : instances) {
    EXPECT_TRUE(pidAlive(static_cast<pid_t>(i.pid))) << "instance " << uuid << " died";
  }
  for (const std::string host : {"h1", "h2", "h3"}) {
    EXPECT_TRUE(daemon(host).running()) << host << " exited during the outage";
  }

  startServer();
  ASSERT_TRUE(session_->waitConnected(milliseconds(15000)));
  ASSERT_TRUE(waitConverged("Demo", 1, 3, milliseconds(20000), true));
  const auto after = snapshot();
  const auto& now = after.type("Demo")->logical.begin()->second;
  for (const auto& [uuid, i] : instances) {
    ASSERT_TRUE(now.instances.count(uuid)) << "instance " << uuid << " was replaced\n"
                                           << after.str();
    EXPECT_EQ(now.instances.at(uuid).pid, i.pid);
  }
  EXPECT_EQ(now.masterEntry()->physical, master.uuid) << "the master changed";
  EXPECT_EQ(now.masterEntry()->sequence, epoch);
  sampler->stop();
  expectOneMasterThroughout(*sampler);
}

// ZooKeeper down when a daemon is told to stop (the H2O seed's open case): it still stops its
// children and exits promptly with 0 instead of hanging on the tree.
TEST_F(DaemonOutage, StopWhileZooKeeperIsDownStopsChildrenAndExits) {
  ASSERT_TRUE(startSpreadDemo());
  std::vector<std::int64_t> pids;
  for (const auto& [key, i] : snapshot().allInstances()) {
    if (i.host == "h1") pids.push_back(i.pid);
  }
  ASSERT_FALSE(pids.empty());
  stopServer();
  const auto code = daemon("h1").terminate(milliseconds(15000));
  EXPECT_EQ(code, 0) << daemon("h1").logTail(20);
  EXPECT_TRUE(noneAlive(pids)) << "h1's children outlived it";
}

}  // namespace
}  // namespace sm::test

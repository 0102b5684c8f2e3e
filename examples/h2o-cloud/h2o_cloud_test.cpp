// examples/h2o-cloud/cloud.yaml, applied as it is to three real servicesmgr daemons (h1 h2 h3,
// address 127.0.0.1) on a real ZooKeeper server: `servicesctl wait --ready` prints the elected
// leader's endpoint once every worker is up; every worker's flatfile lists the cloud's members;
// after a worker is SIGKILLed it restarts in place (same endpoint, so every flatfile stays as it
// was) and `wait` still answers with the same leader.
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "config/physical_service_data.hpp"
#include "tests/daemon/support/daemon_cluster.hpp"
#include "tests/support/wait_for.hpp"

namespace sm::test {
namespace {

using std::chrono::milliseconds;
using Lines = std::vector<std::string>;
constexpr const char* kType = "h2o-cloud";

class H2oCloud : public DaemonTest {
 protected:
  // The file names its program as "sm-demo-service", found on the PATH the daemons inherit.
  static void SetUpTestSuite() {
    DaemonTest::SetUpTestSuite();
    putDemoServiceOnPath();
  }

  void startCloud() {
    for (const std::string host : {"h1", "h2", "h3"}) {
      auto options = daemonOptions(host);
      options.extraArgs = {"--address", "127.0.0.1"};
      startDaemon(options);
    }
    const auto applied = ctl({"apply", "-f", CLOUD_YAML});
    ASSERT_EQ(applied.exitCode, 0) << applied.out << applied.err;
  }

  // What every worker's flatfile must say: 127.0.0.1:<http port> of each running worker, sorted.
  Lines expectedPeers(const LogicalInfo& cloud) {
    Lines peers;
    for (const auto& [uuid, i] : cloud.instances) {
      if (i.state != "running") continue;
      const auto path = layout().physicalService({cloud.id, uuid});
      auto node = session_->get(path);
      if (!node) continue;
      auto data = config::decodePhysicalServiceData(node->data, path);
      if (!data) continue;
      peers.push_back("127.0.0.1:" + std::to_string(data.value().ports.at("http")));
    }
    std::sort(peers.begin(), peers.end());
    return peers;
  }

  Lines flatfile(const InstanceInfo& i) {
    Lines lines;
    std::ifstream in(workDir(i.host) / "instances" / (i.uuid + ".peers"));
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  // Every worker of the converged cloud has the same flatfile, listing all three; returns it.
  Lines waitFlatfilesAgree(std::string* problem) {
    Lines expected;
    waitFor(
        [&] {
          const auto tree = snapshot();
          const auto* type = tree.type(kType);
          if (!type || type->logical.size() != 1) return false;
          const auto& cloud = type->logical.begin()->second;
          expected = expectedPeers(cloud);
          if (expected.size() != 3) {
            *problem = "not 3 running workers yet";
            return false;
          }
          for (const auto& [uuid, i] : cloud.instances) {
            if (flatfile(i) != expected) {
              *problem = "the flatfile of " + uuid + " is not current";
              return false;
            }
          }
          problem->clear();
          return true;
        },
        milliseconds(20000), milliseconds(20));
    return expected;
  }

  CtlResult waitReady() { return ctl({"wait", kType, "--ready", "--timeout", "30s"}); }
};

TEST_F(H2oCloud, WaitPrintsTheLeaderAndAWorkerRestartsInPlaceOnItsEndpoint) {
  ASSERT_NO_FATAL_FAILURE(startCloud());
  const auto ready = waitReady();
  ASSERT_EQ(ready.exitCode, 0) << ready.out << ready.err;
  const auto tree = snapshot();
  const auto& cloud = tree.type(kType)->logical.begin()->second;
  const InstanceInfo leader = *cloud.master();
  EXPECT_NE(ready.out.find("master " + leader.host), std::string::npos) << ready.out;
  EXPECT_NE(ready.out.find("pid " + std::to_string(leader.pid)), std::string::npos) << ready.out;
  EXPECT_NE(ready.out.find("http=127.0.0.1:"), std::string::npos) << ready.out;

  std::string problem;
  const auto before = waitFlatfilesAgree(&problem);
  ASSERT_TRUE(problem.empty()) << problem << "\n" << stateDump();
  // The leader's endpoint is one of the cloud's members.
  const auto leaderLine = ready.out.substr(ready.out.find("http=") + 5);
  EXPECT_NE(std::find(before.begin(), before.end(), leaderLine.substr(0, leaderLine.find('\n'))),
            before.end())
      << ready.out;

  // A worker dies (not the leader): restart.policy always brings it back in place, on the same
  // endpoint, so the cloud's members (every flatfile) are the same as before.
  InstanceInfo victim;
  for (const auto& [uuid, i] : cloud.instances) {
    if (uuid != leader.uuid) victim = i;
  }
  ASSERT_EQ(::kill(static_cast<pid_t>(victim.pid), SIGKILL), 0);
  Lines after;
  const bool restarted = waitFor(
      [&] {
        const auto now = snapshot();
        const auto& members = now.type(kType)->logical.begin()->second.instances;
        auto it = members.find(victim.uuid);
        if (it == members.end() || it->second.pid == victim.pid || it->second.pid == 0) return false;
        after = waitFlatfilesAgree(&problem);
        return problem.empty();
      },
      milliseconds(30000), milliseconds(50));
  EXPECT_TRUE(restarted) << problem << "\n" << stateDump();
  EXPECT_EQ(after, before) << "a worker restarted in place keeps its endpoint";
  EXPECT_EQ(after.size(), 3u);
  const auto again = waitReady();
  EXPECT_EQ(again.exitCode, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("master " + leader.host), std::string::npos)
      << "the leader changed although a follower died\n"
      << again.out;
}

// The seed's open case "a node dying mid-formation": a worker is SIGKILLed as soon as it registers,
// before the cloud is complete; `wait --ready` (already waiting) still returns a complete cloud.
TEST_F(H2oCloud, AWorkerDyingMidFormationIsReplacedAndWaitStillReturns) {
  for (const std::string host : {"h1", "h2", "h3"}) {
    auto options = daemonOptions(host);
    options.extraArgs = {"--address", "127.0.0.1"};
    startDaemon(options);
  }
  // The waiter starts first, like the H2O driver's -wait.
  std::optional<CtlResult> waited;
  std::thread waiter([&] { waited = waitReady(); });
  const auto applied = ctl({"apply", "-f", CLOUD_YAML});
  ASSERT_EQ(applied.exitCode, 0) << applied.out << applied.err;
  std::int64_t killed = 0;
  const bool early = waitFor(
      [&] {
        const auto tree = snapshot();
        const auto* type = tree.type(kType);
        if (!type || type->logical.empty()) return false;
        const auto& cloud = type->logical.begin()->second;
        if (cloud.instances.empty() || cloud.instances.size() >= 3) return false;
        killed = cloud.instances.begin()->second.pid;
        return ::kill(static_cast<pid_t>(killed), SIGKILL) == 0;
      },
      milliseconds(20000), milliseconds(1));
  waiter.join();
  if (!early) GTEST_SKIP() << "the cloud formed before a worker could be killed mid-formation";
  ASSERT_TRUE(waited);
  EXPECT_EQ(waited->exitCode, 0) << waited->out << waited->err;
  for (const auto& [key, i] : snapshot().allInstances()) {
    EXPECT_NE(i.pid, killed) << "the killed worker is still registered";
  }
  std::string problem;
  waitFlatfilesAgree(&problem);
  EXPECT_TRUE(problem.empty()) << problem << "\n" << stateDump();
}

}  // namespace
}  // namespace sm::test

// Persistent services: an identity (uuid) and its data directory survive a process's end, a
// manager's SIGKILL and a graceful restart; a host gone longer than its grace gives the replica a
// new identity elsewhere, and a host back within it resumes the old one.
#include <signal.h>

#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "config/persistent_service_data.hpp"
#include "tests/daemon/support/daemon_cluster.hpp"
#include "tests/support/wait_for.hpp"

namespace sm::test {
namespace {

using config::PersistentState;
using std::chrono::milliseconds;

class DaemonPersistent : public DaemonTest {
 protected:
  DemoType persistentDemo(int replicas, int graceSeconds) {
    DemoType demo;
    demo.replicas = replicas;
    demo.constraints = "    maxPerHost: 1\n";
    demo.persistent = true;
    demo.hostLossGraceSeconds = graceSeconds;
    return demo;
  }

  // services/Demo/<uuid>, decoded; empty when there is none.
  std::map<std::string, config::PersistentServiceData> identities() {
    std::map<std::string, config::PersistentServiceData> result;
    const auto dir = layout().persistentServicesDir("Demo");
    for (const auto& name : session_->children(dir).value_or(std::vector<std::string>{})) {
      const auto path = layout().persistentService("Demo", name);
      auto node = session_->get(path);
      if (!node) continue;
      auto data = config::decodePersistentServiceData(node->data, path);
      EXPECT_TRUE(data) << data.errorText();
      if (data) result.emplace(name, data.value());
    }
    return result;
  }

  std::optional<PersistentState> identityState(const std::string& uuid) {
    const auto all = identities();
    auto it = all.find(uuid);
    if (it == all.end()) return std::nullopt;
    return it->second.state;
  }

  // The lines the demo service appended to $SM_DATA_DIR/starts, one per start.
  std::vector<std::string> starts(const std::string& host, const std::string& uuid) {
    std::ifstream in(workDir(host) / "data" / "Demo" / uuid / "starts");
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }

  // The registered instance of Demo's only logical service on `host`, if any.
  std::optional<InstanceInfo> instanceOn(const std::string& host) {
    const auto tree = snapshot();
    const auto* type = tree.type("Demo");
    if (!type || type->logical.empty()) return std::nullopt;
    for (const auto& [uuid, instance] : type->logical.begin()->second.instances) {
      if (instance.host == host) return instance;
    }
    return std::nullopt;
  }

  // Waits until `uuid` runs again on `host` with a pid other than `oldPid`, and its data shows
  // `startCount` starts, all of that uuid. Fails the test otherwise.
  void expectBack(const std::string& host, const std::string& uuid, std::int64_t oldPid,
                  std::size_t startCount) {
    std::string problem;
    const bool back = waitFor(
        [&] {
          auto instance = instanceOn(host);
          if (!instance || instance->uuid != uuid) {
            problem = instance ? "another uuid runs there: " + instance->uuid : "nothing runs";
            return false;
          }
          if (instance->pid == oldPid || instance->state != "running") {
            problem = fmt::format("pid {} state {}", instance->pid, instance->state);
            return false;
          }
          const auto lines = starts(host, uuid);
          if (lines.size() != startCount) {
            problem = fmt::format("{} starts recorded", lines.size());
            return false;
          }
          return identityState(uuid) == PersistentState::Running;
        },
        milliseconds(20000), milliseconds(20));
    ASSERT_TRUE(back) << uuid << " is not back on " << host << ": " << problem << "\n"
                      << stateDump();
    for (const auto& line : starts(host, uuid)) EXPECT_TRUE(line.starts_with(uuid + " ")) << line;
  }
};

TEST_F(DaemonPersistent, IdentityAndDataSurviveProcessKillDaemonKillAndGracefulRestart) {
  startDaemons({"h1", "h2"});
  apply(persistentDemo(2, 300));
  ASSERT_TRUE(waitConverged("Demo", 1, 2));
  auto first = instanceOn("h1");
  ASSERT_TRUE(first);
  const auto uuid = first->uuid;
  ASSERT_EQ(identities().size(), 2u);
  EXPECT_EQ(identities().at(uuid).host, "h1");
  EXPECT_EQ(identities().at(uuid).dataDir, (workDir("h1") / "data" / "Demo" / uuid).string());
  EXPECT_EQ(starts("h1", uuid).size(), 1u);

  // Its process killed: restarted in place (the lifecycle's restart), same data.
  ASSERT_EQ(::kill(static_cast<pid_t>(first->pid), SIGKILL), 0);
  expectBack("h1", uuid, first->pid, 2);
  ASSERT_TRUE(waitConverged("Demo", 1, 2));

  // Its manager SIGKILLed (its orphan guard takes the process along) and started again.
  auto second = instanceOn("h1");
  ASSERT_TRUE(second);
  daemon("h1").kill();
  ASSERT_TRUE(waitFor([&] { return !hostLive("h1"); }, milliseconds(15000), milliseconds(10)));
  startDaemon("h1");
  expectBack("h1", uuid, second->pid, 3);
  ASSERT_TRUE(waitConverged("Demo", 1, 2));

  // A graceful restart: the identity says stopped while its manager is away.
  auto third = instanceOn("h1");
  ASSERT_TRUE(third);
  EXPECT_EQ(daemon("h1").terminate(), 0);
  EXPECT_EQ(identityState(uuid), PersistentState::Stopped);
  EXPECT_GT(identities().at(uuid).lastStopped, 0);
  startDaemon("h1");
  expectBack("h1", uuid, third->pid, 4);
  ASSERT_TRUE(waitConverged("Demo", 1, 2));
  EXPECT_EQ(identities().size(), 2u) << "no identity was made anew";
}

TEST_F(DaemonPersistent, AHostGoneBeyondItsGraceGivesTheReplicaANewIdentityElsewhere) {
  startDaemons({"h1", "h2"});
  apply(persistentDemo(1, 1));
  ASSERT_TRUE(waitConverged("Demo", 1, 1));
  const auto tree = snapshot();
  const auto old = tree.type("Demo")->logical.begin()->second.instances.begin()->second;
  const auto survivor = old.host == "h1" ? "h2" : "h1";

  daemon(old.host).kill();  // and not started again
  std::string problem;
  const bool replaced = waitFor(
      [&] {
        auto instance = instanceOn(survivor);
        if (!instance || instance->state != "running") {
          problem = "nothing runs on " + std::string(survivor);
          return false;
        }
        if (identityState(old.uuid) != PersistentState::Abandoned) {
          problem = "the old identity is not abandoned";
          return false;
        }
        return true;
      },
      milliseconds(20000), milliseconds(20));
  ASSERT_TRUE(replaced) << problem << "\n" << stateDump();
  const auto now = instanceOn(survivor);
  EXPECT_NE(now->uuid, old.uuid) << "a new identity, with its own data";
  EXPECT_EQ(starts(survivor, now->uuid).size(), 1u);
  const auto all = identities();
  EXPECT_EQ(all.size(), 2u) << "the abandoned identity is still listed";
  EXPECT_EQ(all.at(old.uuid).host, old.host);
  EXPECT_EQ(all.at(now->uuid).state, PersistentState::Running);
}

TEST_F(DaemonPersistent, AHostBackWithinItsGraceResumesTheSameIdentity) {
  startDaemons({"h1", "h2"});
  apply(persistentDemo(1, 60));
  ASSERT_TRUE(waitConverged("Demo", 1, 1));
  const auto tree = snapshot();
  const auto old = tree.type("Demo")->logical.begin()->second.instances.begin()->second;

  daemon(old.host).kill();
  ASSERT_TRUE(waitFor([&] { return identityState(old.uuid) == PersistentState::Lost; },
                      milliseconds(15000), milliseconds(10)))
      << stateDump();
  EXPECT_FALSE(instanceOn(old.host == "h1" ? "h2" : "h1"))
      << "nothing is placed while the identity is within its grace";
  startDaemon(old.host);
  expectBack(old.host, old.uuid, old.pid, 2);
  ASSERT_TRUE(waitConverged("Demo", 1, 1));
  EXPECT_EQ(identities().size(), 1u);
}

TEST_F(DaemonPersistent, GarbageInAnIdentityIsReportedAndNothingIsStoppedOrWrittenForIt) {
  startDaemons({"h1", "h2"});
  apply(persistentDemo(1, 300));
  ASSERT_TRUE(waitConverged("Demo", 1, 1));
  const auto tree = snapshot();
  const auto instance = tree.type("Demo")->logical.begin()->second.instances.begin()->second;
  const auto path = layout().persistentService("Demo", instance.uuid);
  session_->set(path, R"({"format":1,"logical":"zero","state":"gone"})");

  EXPECT_TRUE(waitFor(
      [&] {
        for (const std::string host : {"h1", "h2"}) {
          if (daemon(host).log().find("skipping " + path) != std::string::npos) return true;
        }
        return false;
      },
      milliseconds(10000), milliseconds(50)))
      << "no daemon reported " << path;
  const auto listed = ctl({"get", "instances", "Demo"});
  EXPECT_EQ(listed.exitCode, 0);
  EXPECT_NE(listed.out.find("error: " + path), std::string::npos) << listed.out;
  // Its process runs on, registered; no new identity is made for its place, nothing rewrites it.
  ASSERT_TRUE(waitConverged("Demo", 1, 1));
  EXPECT_EQ(instanceOn(instance.host)->pid, instance.pid);
  EXPECT_EQ(session_->children(layout().persistentServicesDir("Demo"))->size(), 1u);
  EXPECT_EQ(session_->get(path)->data, R"({"format":1,"logical":"zero","state":"gone"})");
}

}  // namespace
}  // namespace sm::test

// Day-2 operations against real daemons: switchover, pause, master eligibility, drain and rollout
// restart, each with a role-file sampler running through it (never two masters of one logical
// service), and the refusals that must change nothing.
#include <signal.h>

#include <atomic>
#include <iostream>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "config/persistent_service_data.hpp"
#include "config/switchover_data.hpp"
#include "tests/daemon/support/daemon_cluster.hpp"
#include "tests/support/wait_for.hpp"

namespace sm::test {
namespace {

using std::chrono::milliseconds;

class DaemonOperations : public DaemonTest {
 protected:
  const LogicalInfo* firstLogical(const TreeSnapshot& tree, const std::string& type = "Demo") {
    const auto* t = tree.type(type);
    return t && !t->logical.empty() ? &t->logical.begin()->second : nullptr;
  }
  const LogicalInfo* firstLogical(TreeSnapshot&&, const std::string& = "Demo") = delete;
  // The first logical service of `type` as the tree says now.
  std::optional<LogicalInfo> logicalNow(const std::string& type = "Demo") {
    const auto tree = snapshot();
    const auto* logical = firstLogical(tree, type);
    return logical ? std::optional<LogicalInfo>(*logical) : std::nullopt;
  }

  // Host of the first logical service's master, "" when it has none.
  std::string masterHost(const std::string& type = "Demo") {
    const auto tree = snapshot();
    const auto* logical = firstLogical(tree, type);
    const auto* master = logical ? logical->master() : nullptr;
    return master ? master->host : "";
  }

  void expectCtl(const std::vector<std::string>& args, int exitCode, const std::string& says) {
    const auto result = ctl(args);
    EXPECT_EQ(result.exitCode, exitCode) << fmt::format("{}", fmt::join(args, " ")) << "\n"
                                         << result.out << result.err;
    EXPECT_NE((result.out + result.err).find(says), std::string::npos)
        << fmt::format("{}", fmt::join(args, " ")) << " should say \"" << says << "\":\n"
        << result.out << result.err;
  }

  void reportGap(MasterSampler& sampler, const std::string& what) {
    std::string which;
    const auto gap = sampler.longestGapWithoutMaster(&which);
    std::cout << fmt::format("[{}] longest time without a master: {} ms ({}), {} samples\n", what,
                             gap.count(), which, sampler.samples());
    RecordProperty(what + "_gap_ms", static_cast<int>(gap.count()));
  }
};

// Samples the tree and keeps, per logical service, the fewest registered instances seen.
class CountSampler {
 public:
  explicit CountSampler(std::function<TreeSnapshot()> read) : read_(std::move(read)) {
    thread_ = std::thread([this] {
      while (!stop_) {
        const auto tree = read_();
        std::lock_guard lock(mutex_);
        for (const auto& [name, type] : tree.types) {
          for (const auto& [seq, logical] : type.logical) {
            const auto count = static_cast<std::int64_t>(logical.instances.size());
            auto [it, added] = fewest_.emplace(logical.key(), count);
            if (!added) it->second = std::min(it->second, count);
          }
        }
        std::this_thread::sleep_for(milliseconds(10));  // a sampling period, not a wait
      }
    });
  }
  ~CountSampler() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  std::map<std::string, std::int64_t> fewest() {
    std::lock_guard lock(mutex_);
    return fewest_;
  }

 private:
  std::function<TreeSnapshot()> read_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::map<std::string, std::int64_t> fewest_;
  std::thread thread_;
};

TEST_F(DaemonOperations, SwitchoverToANamedHostThenToTheNextInLine) {
  ASSERT_TRUE(startSpreadDemo());
  auto sampler = startSampler();
  auto tree = snapshot();
  const auto before = *firstLogical(tree);
  ASSERT_EQ(before.election.size(), 3u);
  const auto oldMaster = *before.master();
  // The last in the chain: the member between it and the master must queue again first.
  const auto target = before.election.back();

  auto result = ctl({"switchover", "Demo", "--to", target.host, "--wait", "--timeout", "20s"});
  ASSERT_EQ(result.exitCode, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("done"), std::string::npos) << result.out;
  tree = snapshot();
  ASSERT_NE(firstLogical(tree)->master(), nullptr) << tree.str();
  EXPECT_EQ(firstLogical(tree)->master()->uuid, target.physical) << tree.str();
  // Nothing restarted: the old master serves on as a secondary, same process.
  ASSERT_TRUE(firstLogical(tree)->instances.contains(oldMaster.uuid)) << tree.str();
  EXPECT_EQ(firstLogical(tree)->instances.at(oldMaster.uuid).pid, oldMaster.pid);
  ASSERT_TRUE(waitConverged("Demo", 1, 3));

  // No --to: the next in the failover chain.
  const auto next = firstLogical(tree)->election.at(1);
  result = ctl({"switchover", "Demo", "-o", "json", "--wait"});
  ASSERT_EQ(result.exitCode, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("\"done\": true"), std::string::npos) << result.out;
  EXPECT_EQ(logicalNow()->master()->uuid, next.physical) << snapshot().str();
  ASSERT_TRUE(waitConverged("Demo", 1, 3));
  // The requests are removed once done.
  EXPECT_TRUE(waitFor(
      [&] {
        auto children = session_->children(layout().switchoversDir());
        return children && children->empty();
      },
      milliseconds(5000)));

  sampler->stop();
  expectOneMasterThroughout(*sampler);
  reportGap(*sampler, "switchover");
  EXPECT_LT(sampler->longestGapWithoutMaster().count(), 1000) << sampler->report();
}

TEST_F(DaemonOperations, SwitchoverRefusalsChangeNothing) {
  ASSERT_TRUE(startSpreadDemo());
  const auto tree = snapshot();
  const auto logical = *firstLogical(tree);
  const auto master = *logical.master();
  expectCtl({"switchover", "Demo", "--to", master.host}, 1, "already the master");
  expectCtl({"switchover", "Demo", "--to", master.uuid}, 1, "already the master");
  expectCtl({"switchover", "Demo", "--to", "h9"}, 1, "no instance of Demo");
  expectCtl({"switchover", "Nope"}, 1, "not found");
  expectCtl({"switchover", "Demo", "7"}, 2, "no logical service 7");
  expectCtl({"switchover", "Demo", "--timeout", "soon"}, 2, "not a duration");

  // Another switchover in progress (its target never stands): refused, the request left as it is.
  const auto path = layout().switchover(logical.id);
  session_->ensurePath(layout().switchoversDir());
  const auto now = std::chrono::duration_cast<milliseconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  const config::SwitchoverData pending{"00000000-0000-4000-8000-000000000000", master.uuid, now,
                                       now + 60000};
  session_->create(path, config::encodeSwitchoverData(pending));
  expectCtl({"switchover", "Demo"}, 1, "in progress");
  auto node = session_->get(path);
  ASSERT_TRUE(node);
  EXPECT_EQ(node->data, config::encodeSwitchoverData(pending));
  session_->remove(path);

  const auto after = snapshot();
  EXPECT_EQ(firstLogical(after)->master()->uuid, master.uuid) << after.str();
  EXPECT_EQ(firstLogical(after)->election.size(), logical.election.size());
  for (std::size_t i = 0; i < logical.election.size(); ++i) {
    EXPECT_EQ(firstLogical(after)->election[i].name, logical.election[i].name) << "chain moved";
  }
}

TEST_F(DaemonOperations, PauseKeepsKilledInstancesDownButMastersFailOver) {
  ASSERT_TRUE(startSpreadDemo());
  auto sampler = startSampler();
  expectCtl({"pause", "Demo", "--reason", "disk repair"}, 0, "paused");
  expectCtl({"pause", "Demo"}, 0, "already paused");
  expectCtl({"pause", "Nope"}, 1, "not found");

  auto tree = snapshot();
  const auto logical = *firstLogical(tree);
  const auto victim = logical.election.back();
  const auto& secondary = logical.instances.at(victim.physical);
  ASSERT_EQ(::kill(static_cast<pid_t>(secondary.pid), SIGKILL), 0);
  // Neither restarted in place nor replaced: its status says why.
  ASSERT_TRUE(waitFor(
      [&] {
        const auto l = logicalNow();
        return l && l->instances.size() == 2 && l->status &&
               l->status->reason.find("paused: disk repair; 1 replica missing") !=
                   std::string::npos;
      },
      milliseconds(15000), milliseconds(20)))
      << snapshot().str();
  const auto describe = ctl({"describe", "Demo"});
  EXPECT_NE(describe.out.find("Paused:"), std::string::npos) << describe.out;
  // The operator's action is an event beside what the daemons did about it.
  expectCtl({"events", "Demo"}, 0, "paused: disk repair");

  // A dead master still fails over while paused.
  tree = snapshot();
  const auto master = *firstLogical(tree)->master();
  ASSERT_EQ(::kill(static_cast<pid_t>(master.pid), SIGKILL), 0);
  ASSERT_TRUE(waitFor(
      [&] {
        const auto l = logicalNow();
        return l && l->master() && l->master()->uuid != master.uuid;
      },
      milliseconds(10000)))
      << snapshot().str();
  EXPECT_EQ(logicalNow()->instances.size(), 1u) << snapshot().str();

  expectCtl({"resume", "Demo"}, 0, "resumed");
  expectCtl({"resume", "Demo"}, 0, "not paused");
  ASSERT_TRUE(waitConverged("Demo", 1, 3, milliseconds(20000), true));
  sampler->stop();
  expectOneMasterThroughout(*sampler);
}

TEST_F(DaemonOperations, OnlyEligibleHostsRunTheMaster) {
  DemoType demo;
  demo.replicas = 3;
  demo.constraints = "    maxPerHost: 1\n    masterHosts: [h1, h2]\n";
  startDaemons();
  apply(demo);
  auto h3Instance = [&]() -> std::optional<InstanceInfo> {
    const auto l = logicalNow();
    if (!l) return std::nullopt;
    for (const auto& [uuid, i] : l->instances) {
      if (i.host == "h3") return i;
    }
    return std::nullopt;
  };
  auto settled = [&] {
    const auto tree = snapshot();
    const auto* l = firstLogical(tree);
    if (!l || l->instances.size() != 3 || l->election.size() != 2 || !l->master()) return false;
    for (const auto& [uuid, i] : l->instances) {
      if (i.state != "running") return false;
    }
    const auto h3 = h3Instance();
    if (!h3) return false;
    const auto role = readRole("h3", h3->uuid);
    return role && role->role == services::Role::Secondary;
  };
  ASSERT_TRUE(waitFor(settled, milliseconds(20000), milliseconds(20))) << stateDump();
  const auto onH3 = h3Instance()->uuid;
  const auto describe = ctl({"describe", "Demo"});
  EXPECT_NE(describe.out.find("masterHosts"), std::string::npos) << describe.out;

  auto sampler = startSampler();
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(fmt::format("round {}", round));
    const auto master = *logicalNow()->master();
    ASSERT_NE(master.host, "h3");
    ASSERT_EQ(::kill(static_cast<pid_t>(master.pid), SIGKILL), 0);
    ASSERT_TRUE(waitFor(
        [&] {
          const auto l = logicalNow();
          return l && l->master() && l->master()->pid != master.pid;
        },
        milliseconds(10000)))
        << stateDump();
    EXPECT_NE(masterHost(), "h3");
    ASSERT_TRUE(waitFor(settled, milliseconds(20000), milliseconds(20))) << stateDump();
  }
  sampler->stop();
  expectOneMasterThroughout(*sampler);
  for (const auto& seen : sampler->masterHistory(logicalNow()->key())) {
    EXPECT_EQ(seen.find(onH3), std::string::npos) << "h3's instance was master: " << seen;
  }
  expectCtl({"switchover", "Demo", "--to", "h3"}, 1, "not eligible as master");

  // h1 and h2 gone: the one instance left may not lead, and the status says so.
  daemon("h1").terminate();
  daemon("h2").terminate();
  ASSERT_TRUE(waitFor(
      [&] {
        const auto l = logicalNow();
        return l && l->status &&
               l->status->reason.find("no eligible instance") != std::string::npos;
      },
      milliseconds(20000), milliseconds(20)))
      << snapshot().str();
  EXPECT_EQ(masterHost(), "");
}

TEST_F(DaemonOperations, DrainHandsOverMovesEverythingAndKeepsTheHostEmptyUntilUncordon) {
  DemoType demo;
  demo.services = 2;
  demo.replicas = 3;
  demo.constraints = "    maxPerHost: 1\n";
  DemoType beta = demo;
  beta.name = "Beta";
  beta.services = 1;
  beta.replicas = 2;
  startDaemons({"h1", "h2", "h3", "h4"});
  apply(demo);
  apply(beta);
  ASSERT_TRUE(waitConverged("Demo", 2, 3, milliseconds(30000), true));
  ASSERT_TRUE(waitConverged("Beta", 1, 2, milliseconds(30000), true));
  // The host of a master, which runs other instances too.
  const auto drained = masterHost("Demo");
  ASSERT_FALSE(drained.empty());

  auto sampler = startSampler();
  CountSampler counts([this] { return snapshot(); });
  auto result = ctl({"drain", drained, "--wait", "--timeout", "90s"});
  counts.stop();
  ASSERT_EQ(result.exitCode, 0) << result.out << result.err << stateDump();
  EXPECT_NE(result.out.find("drained"), std::string::npos) << result.out;
  auto tree = snapshot();
  for (const auto& [logical, instance] : tree.allInstances()) {
    EXPECT_NE(instance.host, drained) << logical << " " << instance.uuid << " still there";
  }
  ASSERT_TRUE(tree.hosts.contains(drained));
  EXPECT_EQ(tree.hosts.at(drained)->running, 0) << "managed processes left on " << drained;
  for (const auto& [logical, fewest] : counts.fewest()) {
    const auto wanted = logical.starts_with("Beta") ? 2 : 3;
    EXPECT_GE(fewest, wanted - 1) << logical << " dropped below replicationCount - 1";
  }
  ASSERT_TRUE(waitConverged("Demo", 2, 3, milliseconds(30000), true));
  ASSERT_TRUE(waitConverged("Beta", 1, 2, milliseconds(30000), true));
  sampler->stop();
  expectOneMasterThroughout(*sampler);
  reportGap(*sampler, "drain");
  EXPECT_LT(sampler->longestGapWithoutMaster().count(), 1000) << sampler->report();
  expectCtl({"drain", drained}, 0, "already drained");
  expectCtl({"drain", drained, "-o", "json"}, 0, "\"drained\": true");
  expectCtl({"drain", "h9"}, 1, "not registered");
  expectCtl({"events"}, 0, "drain of " + drained);

  // Another host dies: its replicas could only go to the cordoned host, and do not.
  std::string victim;
  for (const auto& host : {"h1", "h2", "h3", "h4"}) {
    if (host != drained) victim = host;
  }
  daemon(victim).kill();
  ASSERT_TRUE(waitFor(
      [&] {
        const auto l = logicalNow();
        return l && l->status && l->instances.size() == 2 &&
               l->status->reason.find("missing") != std::string::npos;
      },
      milliseconds(20000), milliseconds(20)))
      << snapshot().str();
  const auto describe = ctl({"describe", "Demo"});
  EXPECT_NE(describe.out.find("cordoned"), std::string::npos) << describe.out;
  for (const auto& [logical, instance] : snapshot().allInstances()) {
    EXPECT_NE(instance.host, drained) << logical << " placed on the cordoned host";
  }
  expectCtl({"uncordon", drained}, 0, "uncordoned");
  ASSERT_TRUE(waitConverged("Demo", 2, 3, milliseconds(30000), true));
}

TEST_F(DaemonOperations, DrainStopsPersistentInstancesAndKeepsThemForTheirHostUntilUncordon) {
  DemoType demo;
  demo.replicas = 2;
  demo.persistent = true;
  demo.constraints = "    maxPerHost: 1\n";
  ASSERT_TRUE(startDaemonsAndConverge(demo, milliseconds(20000), true));
  const auto before = *logicalNow();
  const auto kept = before.election.back();  // a secondary: no handover in the way
  const auto identityPath = layout().persistentService("Demo", kept.physical);
  auto identity = [&]() -> std::optional<config::PersistentServiceData> {
    auto node = session_->get(identityPath);
    if (!node) return std::nullopt;
    auto data = config::decodePersistentServiceData(node->data, identityPath);
    if (!data) return std::nullopt;
    return data.value();
  };

  const auto result = ctl({"drain", kept.host, "--wait", "--timeout", "30s"});
  ASSERT_EQ(result.exitCode, 0) << result.out << result.err << stateDump();
  EXPECT_NE(result.out.find("persistent: stopped, kept for the host"), std::string::npos)
      << result.out;
  auto data = identity();
  ASSERT_TRUE(data);
  EXPECT_EQ(data->state, config::PersistentState::Stopped);
  EXPECT_EQ(data->host, kept.host);
  ASSERT_TRUE(waitFor(
      [&] {
        const auto l = logicalNow();
        return l && l->instances.size() == 1 && l->status &&
               l->status->reason.find("wait") != std::string::npos;
      },
      milliseconds(10000), milliseconds(20)))
      << snapshot().str();
  EXPECT_FALSE(logicalNow()->instances.contains(kept.physical));

  expectCtl({"uncordon", kept.host}, 0, "uncordoned");
  ASSERT_TRUE(waitConverged("Demo", 1, 2, milliseconds(20000), true));
  const auto back = logicalNow();
  ASSERT_TRUE(back->instances.contains(kept.physical)) << snapshot().str();
  EXPECT_EQ(back->instances.at(kept.physical).host, kept.host) << "same identity, same host";
}

TEST_F(DaemonOperations, DrainWithMovePersistentAbandonsTheIdentityAndPlacesANewOneElsewhere) {
  DemoType demo;
  demo.replicas = 2;
  demo.persistent = true;
  demo.constraints = "    maxPerHost: 1\n";
  ASSERT_TRUE(startDaemonsAndConverge(demo, milliseconds(20000), true));
  const auto moved = logicalNow()->election.back();
  const auto result =
      ctl({"drain", moved.host, "--move-persistent", "--wait", "--timeout", "30s"});
  ASSERT_EQ(result.exitCode, 0) << result.out << result.err << stateDump();
  EXPECT_NE(result.err.find("NEW identities"), std::string::npos) << "said loudly: " << result.err;
  const auto path = layout().persistentService("Demo", moved.physical);
  auto node = session_->get(path);
  ASSERT_TRUE(node);
  auto data = config::decodePersistentServiceData(node->data, path);
  ASSERT_TRUE(data) << data.errorText();
  EXPECT_EQ(data.value().state, config::PersistentState::Abandoned);
  ASSERT_TRUE(waitConverged("Demo", 1, 2, milliseconds(20000), true));
  const auto after = logicalNow();
  for (const auto& [uuid, instance] : after->instances) {
    EXPECT_NE(instance.host, moved.host);
    EXPECT_NE(uuid, moved.physical);
  }
}

TEST_F(DaemonOperations, RolloutRestartReplacesEveryInstanceWithAMasterThroughout) {
  ASSERT_TRUE(startSpreadDemo());
  std::set<std::int64_t> before;
  for (const auto& [logical, instance] : snapshot().allInstances()) before.insert(instance.pid);
  auto sampler = startSampler();
  const auto result = ctl({"rollout", "restart", "Demo", "--wait", "--timeout", "60s"});
  ASSERT_EQ(result.exitCode, 0) << result.out << result.err << stateDump();
  ASSERT_TRUE(waitConverged("Demo", 1, 3, milliseconds(20000), true));
  for (const auto& [logical, instance] : snapshot().allInstances()) {
    EXPECT_FALSE(before.contains(instance.pid)) << instance.uuid << " kept pid " << instance.pid;
  }
  sampler->stop();
  expectOneMasterThroughout(*sampler);
  reportGap(*sampler, "rollout_restart");
  EXPECT_LT(sampler->longestGapWithoutMaster().count(), 1000) << sampler->report();
  // The stamp survives an apply of the same spec: no second rollout.
  DemoType demo;
  demo.constraints = "    maxPerHost: 1\n";
  const auto generation = snapshot().type("Demo")->generation;
  apply(demo);
  EXPECT_EQ(snapshot().type("Demo")->generation, generation);
}

}  // namespace
}  // namespace sm::test

// Changes over time: scale up and down, a spec change (rolling replace), delete, and every daemon
// restarted one by one, with at most one master per logical service throughout.
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/daemon/support/daemon_cluster.hpp"
#include "tests/support/wait_for.hpp"

namespace sm::test {
namespace {

using std::chrono::milliseconds;

class DaemonLifecycle : public DaemonTest {
 protected:
  // Every process registered for `type` in `tree`.
  static std::map<std::string, long long> pidsOf(const TreeSnapshot& tree,
                                                 const std::string& type) {
    std::map<std::string, long long> pids;
    if (const auto* t = tree.type(type)) {
      for (const auto& [seq, logical] : t->logical) {
        for (const auto& [uuid, i] : logical.instances) pids[uuid] = i.pid;
      }
    }
    return pids;
  }

  // Instances registered before and not any more must have stopped.
  void expectRemovedStopped(const std::map<std::string, long long>& before,
                            const std::map<std::string, long long>& after,
                            const std::string& step) {
    std::vector<long long> removed;
    for (const auto& [uuid, pid] : before) {
      if (!after.count(uuid)) removed.push_back(pid);
    }
    EXPECT_TRUE(waitFor([&] { return noneAlive(removed); }, milliseconds(5000), milliseconds(5)))
        << step << ": instances gone from the tree still run: "
        << fmt::format("{}", fmt::join(removed, " "));
  }

  void scale(const std::vector<std::string>& args) {
    std::vector<std::string> all = {"scale", "Demo"};
    all.insert(all.end(), args.begin(), args.end());
    auto result = ctl(all);
    EXPECT_EQ(result.exitCode, 0) << result.out << result.err;
  }
};

// Acceptance 5.
TEST_F(DaemonLifecycle, ScaleSpecChangeAndDeleteConvergeWithOneMaster) {
  DemoType demo;
  demo.services = 1;
  demo.replicas = 2;
  ASSERT_TRUE(startDaemonsAndConverge(demo));
  auto sampler = startSampler();

  struct Step {
    std::vector<std::string> args;
    int services;
    int replicas;
  };
  const std::vector<Step> steps = {
      {{"--replicas", "3"}, 1, 3}, {{"--services", "2"}, 2, 3}, {{"--replicas", "2"}, 2, 2},
      {{"--services", "1"}, 1, 2}, {{"--replicas", "3"}, 1, 3},
  };
  for (const auto& step : steps) {
    const std::string name = fmt::format("scale {}", fmt::join(step.args, " "));
    SCOPED_TRACE(name);
    const auto tree = snapshot();
    const auto before = pidsOf(tree, "Demo");
    std::map<std::int64_t, std::string> masters;  // by logical sequence
    for (const auto& [seq, logical] : tree.type("Demo")->logical) {
      if (logical.masterEntry()) masters[seq] = logical.masterEntry()->name;
    }
    std::map<std::string, std::int64_t> generations;  // by uuid
    for (const auto& [key, instance] : tree.allInstances())
      generations[instance.uuid] = instance.generation;
    scale(step.args);
    ASSERT_TRUE(waitConverged("Demo", step.services, step.replicas, milliseconds(20000)));
    const auto after = snapshot();
    expectRemovedStopped(before, pidsOf(after, "Demo"), name);
    // The counts alone changed: the type's template generation stays, and so does each staying
    // instance's (nothing is rewritten; a scale costs its new placements only).
    for (const auto& [key, instance] : after.allInstances()) {
      const auto was = generations.find(instance.uuid);
      if (was != generations.end()) {
        EXPECT_EQ(instance.generation, was->second) << key << "/" << instance.uuid;
      }
    }
    // Surplus instances are secondaries: a logical service that stays keeps its master (I2).
    for (const auto& [seq, logical] : after.type("Demo")->logical) {
      if (masters.count(seq)) {
        EXPECT_EQ(logical.masterEntry()->name, masters[seq])
            << logical.key() << ": the master changed on " << name << "\n"
            << after.str();
      }
    }
  }

  // Spec change (env): a rolling replace; every instance ends on the new generation, and the
  // master is replaced last.
  const auto old = snapshot();
  const auto oldGeneration = old.type("Demo")->generation;
  const auto& oldLogical = old.type("Demo")->logical.begin()->second;
  const std::string oldMaster = oldLogical.master()->uuid;
  std::set<std::string> oldUuids;
  for (const auto& [uuid, i] : oldLogical.instances) oldUuids.insert(uuid);
  const std::string logicalKey = oldLogical.key();
  const size_t mastersBefore = sampler->masterHistory(logicalKey).size();
  demo.replicas = 3;
  demo.greeting = "bonjour";
  apply(demo);
  std::string problem;
  std::string order;
  bool masterGoneSeen = false;
  const bool replaced = waitFor(
      [&] {
        const auto tree = snapshot();
        const auto* type = tree.type("Demo");
        if (type == nullptr || type->generation != oldGeneration + 1) {
          problem = "generation not changed yet";
          return false;
        }
        std::set<std::string> present;
        for (const auto& [seq, logical] : type->logical) {
          for (const auto& [uuid, i] : logical.instances) present.insert(uuid);
        }
        if (!masterGoneSeen && !present.count(oldMaster)) {
          masterGoneSeen = true;
          for (const auto& uuid : oldUuids) {
            if (uuid != oldMaster && present.count(uuid)) {
              order += "old master " + oldMaster + " replaced while old secondary " + uuid +
                       " still registered\n";
            }
          }
        }
        problem = convergenceProblem(tree, "Demo", 1, 3);
        if (!problem.empty()) return false;
        for (const auto& [seq, logical] : type->logical) {
          for (const auto& [uuid, i] : logical.instances) {
            if (i.generation != oldGeneration + 1 || oldUuids.count(uuid)) {
              problem = fmt::format("instance {} still on generation {}", uuid, i.generation);
              return false;
            }
          }
        }
        return true;
      },
      milliseconds(40000), milliseconds(20));
  EXPECT_TRUE(replaced) << "rolling replace did not finish: " << problem << "\n" << stateDump();
  EXPECT_TRUE(order.empty()) << order;
  // The sampler saw every master: after the old one, only instances of the new generation.
  const auto history = sampler->masterHistory(logicalKey);
  ASSERT_GE(history.size(), mastersBefore);
  ASSERT_GT(mastersBefore, 0u);
  EXPECT_EQ(history[mastersBefore - 1], oldMaster) << sampler->report();
  for (size_t i = mastersBefore; i < history.size(); ++i) {
    EXPECT_FALSE(oldUuids.count(history[i]))
        << "during the rolling replace an old instance " << history[i]
        << " became master: the master was not replaced last";
  }
  std::cout << "masters during the rolling replace: "
            << fmt::format("{}", fmt::join(history.begin() + static_cast<long>(mastersBefore) - 1,
                                           history.end(), " -> "))
            << "\n";
  expectRemovedStopped(
      [&] {
        std::map<std::string, long long> m;
        for (const auto& [uuid, i] : oldLogical.instances) m[uuid] = i.pid;
        return m;
      }(),
      pidsOf(snapshot(), "Demo"), "spec change");

  // Delete: the type goes and every process of it stops.
  const auto beforeDelete = pidsOf(snapshot(), "Demo");
  auto deleted = ctl({"delete", "Demo"});
  EXPECT_EQ(deleted.exitCode, 0) << deleted.out << deleted.err;
  EXPECT_TRUE(waitFor([&] { return snapshot().type("Demo") == nullptr; }, milliseconds(10000)));
  expectRemovedStopped(beforeDelete, {}, "delete");
  // Nobody contends for the deleted type's locks any more (I3: no lock outlives what it stands
  // for).
  std::string leftover;
  EXPECT_TRUE(waitFor(
      [&] {
        leftover.clear();
        const auto l = layout();
        if (auto monitor = session_->children(l.serviceConfigMonitorLock("Demo"))) {
          for (const auto& c : *monitor)
            leftover += " " + l.serviceConfigMonitorLock("Demo") + "/" + c;
        }
        if (auto locks = session_->children(l.createPhysicalServiceLocksDir())) {
          for (const auto& name : *locks) {
            auto id = config::Layout::parseCreateLockName(name);
            if (!id || id->type != "Demo") continue;
            auto contenders = session_->children(l.createPhysicalServiceLock(*id));
            for (const auto& c : contenders.value_or(std::vector<std::string>{})) {
              leftover += " " + l.createPhysicalServiceLock(*id) + "/" + c;
            }
          }
        }
        return leftover.empty();
      },
      milliseconds(10000), milliseconds(20)))
      << "lock contenders left for the deleted type:" << leftover;

  sampler->stop();
  expectOneMasterThroughout(*sampler);
  EXPECT_GE(sampler->logicalServicesWithMaster().size(), 2u) << sampler->report();
  std::cout << "sampler: " << sampler->report();
}

// Acceptance 6: every daemon restarted one by one (SIGTERM, exit 0, start again, converged): every
// logical service keeps a master except during the handover itself, never two.
TEST_F(DaemonLifecycle, RestartingEveryDaemonOneByOneKeepsAMaster) {
  ASSERT_TRUE(startSpreadDemo(2));
  auto sampler = startSampler();
  ASSERT_TRUE(
      waitFor([&] { return sampler->logicalServicesWithMaster().size() == 2; }, milliseconds(5000)))
      << sampler->report();

  for (const std::string host : {"h1", "h2", "h3"}) {
    SCOPED_TRACE("restarting " + host);
    const auto before = pidsOf(snapshot(), "Demo");
    std::vector<long long> own;
    for (const auto& [key, i] : snapshot().allInstances()) {
      if (i.host == host) own.push_back(i.pid);
    }
    DaemonProcess& d = daemon(host);
    const auto stopAt = std::chrono::steady_clock::now();
    d.signal(host == "h2" ? SIGINT : SIGTERM);  // both mean a graceful stop
    const auto code = d.waitExit(milliseconds(15000));
    ASSERT_TRUE(code.has_value()) << host << " still runs 15 s after SIGTERM\n" << d.logTail();
    EXPECT_EQ(*code, 0) << d.logTail();
    std::cout << host << " stopped gracefully in "
              << std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - stopAt)
                     .count()
              << " ms\n";
    EXPECT_FALSE(hostLive(host)) << "hosts/" << host << " outlived a graceful stop";
    for (auto pid : own) {
      EXPECT_FALSE(pidAlive(static_cast<pid_t>(pid)))
          << "child " << pid << " of " << host << " outlived its daemon's graceful stop";
    }
    startDaemon(host);
    ASSERT_FALSE(HasFailure());
    ASSERT_TRUE(waitConverged("Demo", 2, 3, milliseconds(20000), true));
  }
  sampler->stop();
  std::cout << "sampler: " << sampler->report();
  expectOneMasterThroughout(*sampler);
  std::string which;
  const auto gap = sampler->longestGapWithoutMaster(&which);
  EXPECT_LT(gap.count(), 2000) << "longest time without a master: " << which << "\n"
                               << sampler->report();
}

}  // namespace
}  // namespace sm::test

// Events (events/) written by real daemons: a failover and a switchover as `servicesctl events`
// shows them, `--follow`, and retention under a flood of 10,000 events that must not stop a
// failover (a role-file sampler runs through it: never two masters).
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <sstream>
#include <iostream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "config/event_data.hpp"
#include "manager/zk/op.hpp"
#include "tests/daemon/support/daemon_cluster.hpp"
#include "tests/support/wait_for.hpp"

namespace sm::test {
namespace {

using std::chrono::milliseconds;

class DaemonEvents : public DaemonTest {
 protected:
  const LogicalInfo& demoLogical(const TreeSnapshot& tree) {
    return tree.type("Demo")->logical.begin()->second;
  }

  // `servicesctl events ARGS -o json`, parsed; an empty list when it failed (the test has then).
  nlohmann::json eventsJson(std::vector<std::string> args = {"Demo"}) {
    args.insert(args.begin(), "events");
    args.insert(args.end(), {"-o", "json", "--limit", "0"});
    const auto result = ctl(args);
    EXPECT_EQ(result.exitCode, 0) << result.out << result.err;
    auto json = nlohmann::json::parse(result.out, nullptr, false);
    EXPECT_TRUE(json.is_array()) << result.out;
    return json.is_array() ? json : nlohmann::json::array();
  }

  // The first event of `kind` that `match` accepts, waited for; null when none came in time.
  nlohmann::json waitForEvent(const std::string& kind,
                              const std::function<bool(const nlohmann::json&)>& match,
                              milliseconds timeout = milliseconds(10000)) {
    nlohmann::json found;
    waitFor(
        [&] {
          for (const auto& e : eventsJson()) {
            if (e.value("kind", "") == kind && match(e)) {
              found = e;
              return true;
            }
          }
          return false;
        },
        timeout, milliseconds(50));
    return found;
  }

  // SIGKILLs the first logical service's master process and waits until another instance's role
  // file says master with a higher epoch. Returns {old epoch, new epoch}.
  std::pair<std::int64_t, std::int64_t> killMaster() {
    const auto before = snapshot();
    const auto& logical = demoLogical(before);
    const InstanceInfo victim = *logical.master();
    const std::int64_t oldEpoch = logical.masterEntry()->sequence;
    const auto killedAt = std::chrono::steady_clock::now();
    EXPECT_EQ(::kill(static_cast<pid_t>(victim.pid), SIGKILL), 0);
    std::int64_t newEpoch = 0;
    const bool tookOver = waitFor(
        [&] {
          for (const auto& [uuid, i] : logical.instances) {
            if (uuid == victim.uuid) continue;
            auto role = readRole(i.host, uuid);
            if (role && services::isMasterNow(*role) && role->epoch > oldEpoch) {
              newEpoch = role->epoch;
              return true;
            }
          }
          return false;
        },
        milliseconds(5000), milliseconds(1));
    EXPECT_TRUE(tookOver) << "no failover within 5 s of the SIGKILL\n" << stateDump();
    std::cout << fmt::format("kill -> successor's role file says master: {} us (epoch {} -> {})\n",
                             std::chrono::duration_cast<std::chrono::microseconds>(
                                 std::chrono::steady_clock::now() - killedAt)
                                 .count(),
                             oldEpoch, newEpoch);
    return {oldEpoch, newEpoch};
  }

  std::int64_t eventCount() {
    auto stat = session_->exists(layout().eventsDir());
    return stat ? stat->numChildren : -1;
  }
};

TEST_F(DaemonEvents, FailoverAndSwitchoverAreEvents) {
  ASSERT_TRUE(startSpreadDemo());
  auto sampler = startSampler();

  // Placements of the three replicas, each with the pid it started with.
  const auto placed = waitForEvent("placed", [](const auto&) { return true; });
  ASSERT_FALSE(placed.is_null());
  EXPECT_NE(placed.value("message", "").find("(pid "), std::string::npos) << placed.dump();

  const auto [oldEpoch, newEpoch] = killMaster();
  ASSERT_GT(newEpoch, oldEpoch);
  const auto master = waitForEvent("master", [&](const nlohmann::json& e) {
    return e.value("epoch", std::int64_t{-1}) == newEpoch;
  });
  ASSERT_FALSE(master.is_null()) << "no master event with epoch " << newEpoch << ":\n"
                                 << ctl({"events", "Demo"}).out;
  EXPECT_EQ(master.value("previousEpoch", std::int64_t{-1}), oldEpoch) << master.dump();
  EXPECT_TRUE(master.contains("handoffMs")) << master.dump();
  EXPECT_EQ(master.value("type", ""), "Demo");
  std::cout << "master event: " << master.dump() << "\n";
  EXPECT_FALSE(waitForEvent("exited", [](const auto&) { return true; }).is_null());
  ASSERT_TRUE(waitConverged("Demo", 1, 3, milliseconds(15000), true));

  auto result = ctl({"switchover", "Demo", "--wait", "--timeout", "20s"});
  ASSERT_EQ(result.exitCode, 0) << result.out << result.err;
  const auto done = waitForEvent("switchover", [](const nlohmann::json& e) {
    return e.value("message", "").find("switchover done") != std::string::npos;
  });
  EXPECT_FALSE(done.is_null()) << ctl({"events", "Demo"}).out;

  // The table and describe show them too.
  result = ctl({"events", "Demo"});
  EXPECT_EQ(result.exitCode, 0) << result.err;
  std::cout << result.out;
  EXPECT_NE(result.out.find("KIND"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("master"), std::string::npos) << result.out;
  result = ctl({"describe", "Demo"});
  EXPECT_EQ(result.exitCode, 0) << result.err;
  EXPECT_NE(result.out.find("Events:\n  TIME"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("switchover done"), std::string::npos) << result.out;

  // An unknown type is an error, not an empty list.
  result = ctl({"events", "Nope"});
  EXPECT_EQ(result.exitCode, 1) << result.out << result.err;
  EXPECT_NE(result.err.find("service type \"Nope\" not found"), std::string::npos) << result.err;

  sampler->stop();
  expectOneMasterThroughout(*sampler);
}

TEST_F(DaemonEvents, FollowPrintsNewEventsAsTheyCome) {
  ASSERT_TRUE(startSpreadDemo());
  CtlProcess follow({"--zk", hosts(), "--root", zroot(), "events", "Demo", "--follow", "-o", "json",
                     "--limit", "1"});
  // One line for the newest event, then the failover's as they come.
  ASSERT_TRUE(waitFor([&] { return follow.out().find('\n') != std::string::npos; },
                      milliseconds(10000), milliseconds(10)))
      << follow.err();
  const auto [oldEpoch, newEpoch] = killMaster();
  ASSERT_GT(newEpoch, oldEpoch);
  const auto wanted = fmt::format("\"epoch\":{}", newEpoch);
  EXPECT_TRUE(waitFor([&] { return follow.out().find(wanted) != std::string::npos; },
                      milliseconds(10000), milliseconds(10)))
      << follow.out() << follow.err();
  for (const auto& line : [&] {
         std::vector<std::string> lines;
         std::istringstream in(follow.out());
         for (std::string l; std::getline(in, l);) lines.push_back(l);
         return lines;
       }()) {
    EXPECT_TRUE(nlohmann::json::parse(line, nullptr, false).is_object()) << line;
  }
  follow.signal(SIGTERM);
  EXPECT_EQ(follow.wait(milliseconds(10000)), 0) << follow.err();
  ASSERT_TRUE(waitConverged("Demo", 1, 3, milliseconds(15000), true));
}

// Operator actions and refusals: an exit while paused is not restarted (a `paused` event), and
// the status' reason is a `refused` event once, not at every pass.
TEST_F(DaemonEvents, PausedExitAndStatusReasonAreEvents) {
  ASSERT_TRUE(startSpreadDemo());
  auto result = ctl({"pause", "Demo", "--reason", "disk repair"});
  ASSERT_EQ(result.exitCode, 0) << result.out << result.err;
  // The monitor holder writes the pause into the status (an event) in the pass that also makes
  // its own host stop restarting the type: kill the instance there, so that the exit is surely
  // seen after the pause (another host may still be a pass behind).
  const auto pausedStatus = waitForEvent("refused", [&](const nlohmann::json& e) {
    return e.value("message", "") == "paused: disk repair";
  });
  ASSERT_FALSE(pausedStatus.is_null()) << ctl({"events", "Demo"}).out;
  const auto holder = pausedStatus.value("host", "");
  const auto tree = snapshot();
  const InstanceInfo* victim = nullptr;
  for (const auto& [uuid, i] : demoLogical(tree).instances) {
    if (i.host == holder) victim = &i;
  }
  ASSERT_NE(victim, nullptr) << holder << "\n" << tree.str();
  ASSERT_EQ(::kill(static_cast<pid_t>(victim->pid), SIGKILL), 0);
  const auto paused = waitForEvent(
      "paused", [&](const nlohmann::json& e) { return e.value("uuid", "") == victim->uuid; });
  EXPECT_FALSE(paused.is_null()) << ctl({"events", "Demo"}).out;
  const std::string reason = "paused: disk repair; 1 replica missing";
  EXPECT_FALSE(waitForEvent("refused",
                            [&](const nlohmann::json& e) {
                              return e.value("message", "").starts_with(reason);
                            })
                   .is_null())
      << ctl({"events", "Demo"}).out;

  result = ctl({"resume", "Demo"});
  ASSERT_EQ(result.exitCode, 0) << result.out << result.err;
  ASSERT_TRUE(waitConverged("Demo", 1, 3, milliseconds(20000), true));
  // Once per change of the reason, not at every pass.
  int refusals = 0;
  for (const auto& e : eventsJson()) {
    if (e.value("kind", "") == "refused" && e.value("message", "").starts_with(reason)) ++refusals;
  }
  EXPECT_EQ(refusals, 1) << ctl({"events", "Demo"}).out;
}

// 10,000 events written straight into events/ while a master is killed: the failover completes
// (one master throughout), and one holder trims events/ back to at most 1000 + 10 %.
TEST_F(DaemonEvents, FloodIsTrimmedByOneHolderWithoutStoppingFailover) {
  ASSERT_TRUE(startSpreadDemo());
  auto sampler = startSampler();
  constexpr int kFlood = 10000;
  constexpr int kBatch = 500;
  constexpr std::int64_t kBound = 1000 + 100;

  std::atomic<int> written{0};
  std::string floodError;
  std::thread flood([&] {
    try {
      config::EventData e;
      e.host = "flood";
      e.kind = "flood";
      e.type = "Flood";
      for (int done = 0; done < kFlood; done += kBatch) {
        std::vector<zk::Op> ops;
        for (int i = 0; i < kBatch; ++i) {
          e.time = 1700000000000 + done + i;
          e.message = fmt::format("flood {}", done + i);
          ops.push_back(zk::Op::create(layout().eventPrefix(), config::encodeEventData(e),
                                       zk::CreateMode::PersistentSequential));
        }
        session_->multi(ops);
        written += kBatch;
      }
    } catch (const std::exception& ex) {
      floodError = ex.what();
    }
  });
  // The failover happens while the flood is being written.
  ASSERT_TRUE(
      waitFor([&] { return written.load() >= kFlood / 4; }, milliseconds(30000), milliseconds(1)));
  const auto [oldEpoch, newEpoch] = killMaster();
  flood.join();
  ASSERT_TRUE(floodError.empty()) << floodError;
  ASSERT_EQ(written.load(), kFlood);
  EXPECT_GT(newEpoch, oldEpoch);

  const auto floodEnd = std::chrono::steady_clock::now();
  const bool bounded =
      waitFor([&] { return eventCount() <= kBound; }, milliseconds(30000), milliseconds(20));
  std::cout << fmt::format(
      "events/ after the flood: {} children, bounded after {} ms\n", eventCount(),
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - floodEnd)
          .count());
  EXPECT_TRUE(bounded) << eventCount() << " children in events/";
  // The oldest went first: the flood's last event is still there, its first one is not.
  auto names = *session_->children(layout().eventsDir());
  std::sort(names.begin(), names.end());
  bool lastKept = false;
  bool firstKept = false;
  for (const auto& name : names) {
    auto node = session_->get(layout().eventsDir() + "/" + name);
    if (!node) continue;
    lastKept = lastKept || node->data.find("\"flood 9999\"") != std::string::npos;
    firstKept = firstKept || node->data.find("\"flood 0\"") != std::string::npos;
  }
  EXPECT_TRUE(lastKept);
  EXPECT_FALSE(firstKept);
  // Exactly one daemon holds the retention lock.
  auto holders = session_->children(layout().eventsRetentionLock());
  ASSERT_TRUE(holders.has_value());
  EXPECT_EQ(holders->size(), 3u) << "every daemon queues; the first trims";

  ASSERT_TRUE(waitConverged("Demo", 1, 3, milliseconds(15000), true));
  sampler->stop();
  expectOneMasterThroughout(*sampler);
}

}  // namespace
}  // namespace sm::test

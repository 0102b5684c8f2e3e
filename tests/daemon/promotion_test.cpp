// spec.promotion against real daemons and sm-demo-service: the score hook is a small script that
// runs a per-host file the test writes (an `echo`, garbage, a failing exit, a hang), so that each
// host's freshness is the test's to choose. A role-file sampler runs throughout (never two
// masters of one logical service).
#include <signal.h>

#include <fstream>
#include <iostream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "config/election_data.hpp"
#include "tests/daemon/support/daemon_cluster.hpp"
#include "tests/support/wait_for.hpp"

namespace sm::test {
namespace {

using std::chrono::milliseconds;

class DaemonPromotion : public DaemonTest {
 protected:
  // Demo with one logical service of three replicas, one per host, and a promotion whose score
  // hook runs scores/<host id>.
  void startPromoting(const std::string& promotionFields) {
    std::filesystem::create_directories(testDir_ / "scores");
    for (const std::string host : {"h1", "h2", "h3"}) setScore(host, "echo 0");
    const auto script = testDir_ / "score.sh";
    std::ofstream(script) << "#!/bin/sh\n. \"$1/$SM_HOST_ID\"\n";
    DemoType type;
    type.constraints = "    maxPerHost: 1\n";
    type.promotion =
        fmt::format("{{score: {{exec: [/bin/sh, \"{}\", \"{}\"], timeoutMs: 300}}, {}}}",
                    script.string(), (testDir_ / "scores").string(), promotionFields);
    ASSERT_TRUE(startDaemonsAndConverge(type, milliseconds(20000), true));
  }

  // What the score hook does on `host` from now on (shell code).
  void setScore(const std::string& host, const std::string& code) {
    const auto path = testDir_ / "scores" / host;
    std::ofstream(path.string() + ".tmp") << code << "\n";
    std::filesystem::rename(path.string() + ".tmp", path);
  }

  LogicalInfo logical() {
    const auto tree = snapshot();
    const auto* type = tree.type("Demo");
    if (!type || type->logical.empty()) return {};
    return type->logical.begin()->second;
  }

  // The election data each member publishes, by uuid.
  std::map<std::string, config::ElectionData> published() {
    std::map<std::string, config::ElectionData> out;
    const auto l = logical();
    for (const auto& entry : l.election) {
      auto node = session_->get(layout().electionMember(l.id, entry.name));
      if (!node) continue;
      auto data = config::decodeElectionData(node->data, entry.name);
      if (data) out[data.value().physical] = data.value();
    }
    return out;
  }

  // Waits until every member published `score` (or, for nullopt, a scored round without one).
  bool waitScores(const std::map<std::string, std::optional<std::int64_t>>& byHost) {
    return waitFor(
        [&] {
          const auto data = published();
          const auto l = logical();
          std::size_t matched = 0;
          for (const auto& [uuid, d] : data) {
            const auto instance = l.instances.find(uuid);
            if (instance == l.instances.end()) return false;
            const auto want = byHost.find(instance->second.host);
            if (want == byHost.end()) continue;
            if (!d.round || d.score != want->second) return false;
            ++matched;
          }
          return matched == byHost.size();
        },
        milliseconds(10000));
  }

  // Host of the instance whose role file says master (lease valid), "" if none.
  std::string actingMaster() {
    const auto l = logical();
    for (const auto& [uuid, instance] : l.instances) {
      auto role = readRole(instance.host, uuid);
      if (role && services::effectiveRole(*role) == services::Role::Master) {
        return instance.host;
      }
    }
    return "";
  }

  struct Chain {
    InstanceInfo master, second, third;
  };
  Chain chain() {
    const auto l = logical();
    Chain c;
    if (l.election.size() != 3) return c;
    c.master = l.instances.at(l.election[0].physical);
    c.second = l.instances.at(l.election[1].physical);
    c.third = l.instances.at(l.election[2].physical);
    return c;
  }

  std::size_t occurrences(const std::string& text, const std::string& what) {
    std::size_t n = 0;
    for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  }
};

TEST_F(DaemonPromotion, TheFreshestSecondaryBecomesMasterNotTheNextInLine) {
  startPromoting("waitMs: 2000, refreshMs: 500");
  if (HasFatalFailure()) return;
  auto sampler = startSampler();
  const auto c = chain();
  ASSERT_FALSE(c.master.uuid.empty()) << stateDump();
  setScore(c.master.host, "echo 0");
  setScore(c.second.host, "echo 10");
  setScore(c.third.host, "echo 50");
  ASSERT_TRUE(waitScores({{c.second.host, 10}, {c.third.host, 50}})) << stateDump();
  const auto killed = std::chrono::steady_clock::now();
  ASSERT_EQ(::kill(static_cast<pid_t>(c.master.pid), SIGKILL), 0);
  ASSERT_TRUE(waitFor([&] { return actingMaster() == c.third.host; }, milliseconds(10000)))
      << "the third in line (score 50) should be master, not the second (10)\n"
      << stateDump();
  std::cout << fmt::format(
      "[promotion] fresher third in line master {} ms after the kill\n",
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - killed).count());
  EXPECT_TRUE(waitConverged("Demo", 1, 3, milliseconds(20000), true));
  EXPECT_EQ(logical().master()->host, c.third.host);
  const auto events = ctl({"events", "Demo"});
  EXPECT_NE(events.out.find("hands its turn to " + c.third.uuid), std::string::npos) << events.out;
  expectOneMasterThroughout(*sampler);
}

TEST_F(DaemonPromotion, BadScoreHooksAreNoScoreLoggedOnceAndFailoverCompletes) {
  startPromoting("waitMs: 300, refreshMs: 300");
  if (HasFatalFailure()) return;
  auto sampler = startSampler();
  auto c = chain();
  ASSERT_FALSE(c.master.uuid.empty()) << stateDump();
  setScore(c.master.host, "exit 3");
  setScore(c.second.host, "echo garbage");
  setScore(c.third.host, "echo " + std::string(100, '7'));
  ASSERT_TRUE(waitScores({{c.second.host, std::nullopt}, {c.third.host, std::nullopt}}))
      << stateDump();
  ASSERT_EQ(::kill(static_cast<pid_t>(c.master.pid), SIGKILL), 0);
  // Nobody has a score: the chain decides, after waitMs at most.
  ASSERT_TRUE(waitFor([&] { return actingMaster() == c.second.host; }, milliseconds(10000)))
      << stateDump();
  ASSERT_TRUE(waitConverged("Demo", 1, 3, milliseconds(20000), true));

  // Now the next in line hangs and another fails: the master dies again.
  c = chain();
  setScore(c.second.host, "sleep 30");
  setScore(c.third.host, "exit 1");
  ASSERT_EQ(::kill(static_cast<pid_t>(c.master.pid), SIGKILL), 0);
  ASSERT_TRUE(waitFor([&] { return actingMaster() == c.second.host; }, milliseconds(10000)))
      << stateDump();
  EXPECT_TRUE(waitConverged("Demo", 1, 3, milliseconds(20000), true));
  // Refreshed every 300 ms for seconds: each outcome is logged once per change, not per refresh.
  std::size_t garbage = 0;
  std::size_t tooLong = 0;
  for (const std::string host : {"h1", "h2", "h3"}) {
    const auto log = daemon(host).log();
    garbage += occurrences(log, "no score: score hook printed \"garbage\": not an integer");
    tooLong += occurrences(log, ": out of range (|score| <= 9007199254740991)");
  }
  EXPECT_EQ(garbage, 1u);
  EXPECT_EQ(tooLong, 1u);
  expectOneMasterThroughout(*sampler);
}

TEST_F(DaemonPromotion, MaxLagHoldsUntilAFresherCandidateAppearsOrAnOperatorForces) {
  startPromoting("waitMs: 300, maxLag: 100, refreshMs: 300");
  if (HasFatalFailure()) return;
  auto sampler = startSampler();
  const auto c = chain();
  ASSERT_FALSE(c.master.uuid.empty()) << stateDump();
  for (const auto& host : {c.master.host, c.second.host, c.third.host}) setScore(host, "echo 1000");
  ASSERT_TRUE(waitScores({{c.master.host, 1000}, {c.second.host, 1000}, {c.third.host, 1000}}))
      << stateDump();
  setScore(c.master.host, "echo 0");  // once restarted in place it has lost everything
  setScore(c.second.host, "echo 10");
  setScore(c.third.host, "echo 5");
  ASSERT_TRUE(waitScores({{c.second.host, 10}, {c.third.host, 5}})) << stateDump();
  ASSERT_EQ(::kill(static_cast<pid_t>(c.master.pid), SIGKILL), 0);
  ASSERT_TRUE(waitFor(
      [&] {
        const auto l = logical();
        return l.status && l.status->reason.find(
                               "no master: not promoted: it has score 10, 990 "
                               "below the best seen (1000): more than maxLag "
                               "100") != std::string::npos;
      },
      milliseconds(10000)))
      << stateDump();
  EXPECT_EQ(actingMaster(), "");
  const auto described = ctl({"describe", "Demo"});
  EXPECT_NE(described.out.find("Not promoted: it has score 10"), std::string::npos)
      << described.out;
  EXPECT_NE(described.out.find("candidate"), std::string::npos) << described.out;
  EXPECT_NE(described.out.find("Promotion scores (chain order):"), std::string::npos)
      << described.out;
  EXPECT_NE(described.out.find(c.third.uuid + "  " + c.third.host + "  score 5"), std::string::npos)
      << described.out;
  // Still no master a refresh or two later.
  EXPECT_FALSE(waitFor([&] { return !actingMaster().empty(); }, milliseconds(1000)));

  // A fresher candidate appears: it is promoted.
  setScore(c.third.host, "echo 950");
  ASSERT_TRUE(waitFor([&] { return actingMaster() == c.third.host; }, milliseconds(10000)))
      << stateDump();
  ASSERT_TRUE(waitConverged("Demo", 1, 3, milliseconds(20000), true));

  // Every member lags again, and the master dies: held, until an operator forces it.
  const auto d = chain();
  for (const auto& host : {d.master.host, d.second.host, d.third.host}) setScore(host, "echo 1");
  ASSERT_TRUE(waitScores({{d.second.host, 1}, {d.third.host, 1}})) << stateDump();
  ASSERT_EQ(::kill(static_cast<pid_t>(d.master.pid), SIGKILL), 0);
  ASSERT_TRUE(waitFor(
      [&] {
        const auto l = logical();
        return l.status && l.status->reason.find("no master: not promoted") != std::string::npos;
      },
      milliseconds(10000)))
      << stateDump();
  const auto refused = ctl({"switchover", "Demo", "--to", d.second.host});
  EXPECT_EQ(refused.exitCode, 1) << refused.out << refused.err;
  const auto forced =
      ctl({"switchover", "Demo", "--to", d.second.host, "--force", "--wait", "--timeout", "20s"});
  EXPECT_EQ(forced.exitCode, 0) << forced.out << forced.err << stateDump();
  EXPECT_TRUE(waitFor([&] { return actingMaster() == d.second.host; }, milliseconds(10000)))
      << stateDump();
  expectOneMasterThroughout(*sampler);
}

}  // namespace
}  // namespace sm::test

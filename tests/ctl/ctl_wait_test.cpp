// `servicesctl wait TYPE --ready` and `apply --wait` against real servicesmgr daemons: they return
// as soon as the tree is converged, print the master's endpoint or the progress, and on timeout
// name what is missing.
#include <signal.h>

#include <chrono>
#include <regex>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/daemon/support/daemon_cluster.hpp"
#include "tests/support/wait_for.hpp"

namespace sm::test {
namespace {

using std::chrono::milliseconds;

std::vector<std::string> linesOf(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

class CtlWait : public DaemonTest {
 protected:
  // What the tree (not the role files, which follow a moment later) must show once wait or apply
  // --wait says ready: every logical service with `replicas` running instances and a master.
  static std::string treeProblem(const TreeSnapshot& tree, int services, int replicas) {
    const auto* type = tree.type("Demo");
    if (!type) return "no type Demo";
    if (static_cast<int>(type->logical.size()) != services) return "logical service count";
    for (const auto& [seq, logical] : type->logical) {
      int running = 0;
      for (const auto& [uuid, instance] : logical.instances) running += instance.state == "running";
      if (running != replicas) return logical.key() + ": running instances";
      if (!logical.master()) return logical.key() + ": no master";
    }
    return "";
  }

  // The master line `wait` printed for the logical service, checked against the tree.
  void expectMasterLine(const std::string& out, const LogicalInfo& logical) {
    const auto* master = logical.master();
    ASSERT_NE(master, nullptr) << stateDump();
    const std::regex line(
        fmt::format(R"({} master {}(?: address \S+)? pid {} epoch {} http=(?:[^\s:]+:)?(\d+)\n)",
                    logical.key(), master->host, master->pid, logical.masterEntry()->sequence));
    std::smatch match;
    ASSERT_TRUE(std::regex_search(out, match, line)) << out << stateDump();
    EXPECT_GT(std::stoi(match[1]), 0);
  }

  // A type no host may run: the logical service exists, no instance ever starts.
  DemoType unplaceable() {
    DemoType demo;
    demo.constraints = "    allowHosts: [\"nohost\"]\n";
    return demo;
  }

  void waitLogicalExists() {
    ASSERT_TRUE(waitFor(
        [&] {
          auto tree = snapshot();
          const auto* type = tree.type("Demo");
          return type && !type->logical.empty();
        },
        milliseconds(15000)))
        << stateDump();
  }
};

TEST_F(CtlWait, ReadyPrintsEachMastersEndpointAndAnswersAgainAfterAFailover) {
  startDaemons();
  DemoType demo;
  demo.services = 2;
  demo.replicas = 2;
  apply(demo);
  auto ready = ctl({"wait", "Demo", "--ready", "--timeout", "25s"});
  ASSERT_EQ(ready.exitCode, 0) << ready.out << ready.err << stateDump();
  EXPECT_EQ(treeProblem(snapshot(), 2, 2), "") << "wait said ready before the tree was converged:\n"
                                               << ready.out;
  EXPECT_EQ(linesOf(ready.out).front(), "Demo: 2/2 logical services ready, 4/4 instances running");
  auto tree = snapshot();
  for (const auto& [seq, logical] : tree.type("Demo")->logical)
    expectMasterLine(ready.out, logical);

  // The master of the first logical service dies: once the tree has withdrawn it, wait answers
  // with its successor (and the replacement) instead.
  const auto first = tree.type("Demo")->logical.begin()->second;
  const auto victim = first.master()->pid;
  ASSERT_EQ(::kill(static_cast<pid_t>(victim), SIGKILL), 0);
  ASSERT_TRUE(waitFor(
      [&] {
        for (const auto& [key, instance] : snapshot().allInstances()) {
          if (instance.pid == victim) return false;
        }
        return true;
      },
      milliseconds(10000)));
  auto again = ctl({"wait", "Demo", "--ready", "--timeout", "25s"});
  ASSERT_EQ(again.exitCode, 0) << again.out << again.err << stateDump();
  tree = snapshot();
  const auto& after = tree.type("Demo")->logical.begin()->second;
  ASSERT_NE(after.master(), nullptr);
  EXPECT_NE(after.master()->pid, victim);
  expectMasterLine(again.out, after);
}

TEST_F(CtlWait, TimeoutExitsOneNamingWhatIsMissing) {
  startDaemons({"h1"});
  apply(unplaceable());
  waitLogicalExists();
  const auto started = std::chrono::steady_clock::now();
  auto r = ctl({"wait", "Demo", "--ready", "--timeout", "1500ms"});
  const auto took = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(r.exitCode, 1) << r.out << r.err;
  EXPECT_EQ(r.out, "");
  EXPECT_NE(r.err.find("wait: Demo is not ready after 1500ms:\n"
                       "  Demo/logicalService0000000000: 0/3 instances running, no master\n"),
            std::string::npos)
      << r.err;
  EXPECT_GE(took, milliseconds(1500));
  EXPECT_LT(took, milliseconds(10000));

  auto missing = ctl({"wait", "Nothing", "--ready", "--timeout", "200ms"});
  EXPECT_EQ(missing.exitCode, 1);
  EXPECT_NE(missing.err.find("Nothing: the service type does not exist"), std::string::npos)
      << missing.err;
}

TEST_F(CtlWait, ApplyWaitShowsProgressUntilConverged) {
  startDaemons();
  DemoType demo;
  demo.replicas = 3;
  const auto file = testDir_ / "demo.yaml";
  writeFile(file, demo.yaml());
  auto r = ctl({"apply", "-f", file.string(), "--wait", "--timeout", "25s"});
  ASSERT_EQ(r.exitCode, 0) << r.out << r.err << stateDump();
  EXPECT_EQ(treeProblem(snapshot(), 1, 3), "") << r.out;
  const auto lines = linesOf(r.out);
  ASSERT_GE(lines.size(), 3u) << r.out;
  EXPECT_NE(r.out.find("Demo: created, generation 1\n"), std::string::npos) << r.out;
  EXPECT_EQ(lines.back(), "converged");
  EXPECT_EQ(lines[lines.size() - 2], "Demo: 1/1 logical services ready, 3/3 instances running");
  const std::regex progress(R"(Demo: [01]/1 logical services ready, [0-3]/3 instances running)");
  std::string previous;
  for (const auto& line : lines) {
    if (line.rfind("Demo: ", 0) != 0 || line.find("logical services ready") == std::string::npos)
      continue;
    EXPECT_TRUE(std::regex_match(line, progress)) << line;
    EXPECT_NE(line, previous) << "one line per change:\n" << r.out;
    previous = line;
  }

  // Applying it again converges at once: nothing changed, the first read is ready.
  auto again = ctl({"apply", "-f", file.string(), "--wait", "--timeout", "5s"});
  EXPECT_EQ(again.exitCode, 0) << again.err;
  EXPECT_EQ(linesOf(again.out).back(), "converged");
}

TEST_F(CtlWait, ApplyWaitTimesOutSayingWhatIsStillMissing) {
  startDaemons({"h1"});
  const auto file = testDir_ / "demo.yaml";
  writeFile(file, unplaceable().yaml());
  auto r = ctl({"apply", "-f", file.string(), "--wait", "--timeout", "2s"});
  EXPECT_EQ(r.exitCode, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("Demo: created, generation 1\n"), std::string::npos) << r.out;
  EXPECT_NE(r.err.find("apply --wait: not converged after 2s:\n  Demo"), std::string::npos)
      << r.err;
  EXPECT_TRUE(r.err.find("0/3 instances running, no master") != std::string::npos ||
              r.err.find("0 of 1 logical services exist") != std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace sm::test

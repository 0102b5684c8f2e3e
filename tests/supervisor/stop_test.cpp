// Stopping: the configured signal to the whole group, SIGKILL after the timeout, nothing left.
#include <gtest/gtest.h>
#include <signal.h>

#include <filesystem>

#include "manager/supervisor/supervisor.hpp"
#include "tests/supervisor/test_support.hpp"

namespace sm::supervisor {
namespace {

using namespace testing;
using Kind = InstanceEvent::Kind;

class SupervisorStop : public SupervisedTest {};

std::vector<pid_t> pidsIn(const std::string& file) {
  std::vector<pid_t> pids;
  for (const auto& line : readLines(file)) pids.push_back(std::stoi(line));
  return pids;
}

TEST_F(SupervisorStop, KillsAProcessThatIgnoresTheStopSignalAfterTheTimeout) {
  // `exec` keeps the pid; an ignored disposition survives exec, so sleep ignores SIGTERM too.
  std::string script =
      writeScript(dir, "stubborn.sh", "trap '' TERM\ntouch \"$0.ready\"\nexec sleep 1000");
  auto spec = testSpec("stubborn", dir, {script});
  spec.stop.timeoutMs = 400;
  ASSERT_TRUE(supervisor.start(spec));
  auto started = recorder.waitFor(Kind::Started, "stubborn");
  ASSERT_TRUE(started);
  ASSERT_TRUE(waitFor([&] { return std::filesystem::exists(script + ".ready"); }, 5s));

  auto stopAt = std::chrono::steady_clock::now();
  ASSERT_TRUE(supervisor.stop("stubborn"));
  auto exited = recorder.waitFor(Kind::Exited, "stubborn");
  ASSERT_TRUE(exited);
  EXPECT_TRUE(exited->exit.signaled);
  EXPECT_EQ(exited->exit.signal, SIGKILL) << "SIGTERM was ignored, so SIGKILL ended it";
  EXPECT_GE(exited->at - stopAt, 400ms) << "not killed before the timeout";
  EXPECT_LT(exited->at - stopAt, 400ms + 3s);
  ASSERT_TRUE(recorder.waitFor(Kind::Stopped, "stubborn"));
  EXPECT_TRUE(processGone(started->pid));
}

TEST_F(SupervisorStop, UsesTheConfiguredStopSignal) {
  std::string script = writeScript(dir, "polite.sh",
                                   "trap 'echo got-INT > \"$0.out\"; exit 0' INT\n"
                                   "touch \"$0.ready\"\n"
                                   "while :; do sleep 1 & wait $!; done");
  auto spec = testSpec("polite", dir, {script});
  spec.stop.signal = SIGINT;
  ASSERT_TRUE(supervisor.start(spec));
  ASSERT_TRUE(waitFor([&] { return std::filesystem::exists(script + ".ready"); }, 5s));
  ASSERT_TRUE(supervisor.stop("polite"));
  auto exited = recorder.waitFor(Kind::Exited, "polite");
  ASSERT_TRUE(exited);
  EXPECT_TRUE(exited->exit.success()) << exited->exit.describe();
  EXPECT_EQ(readFile(script + ".out"), "got-INT\n");
}

TEST_F(SupervisorStop, LeavesNoGrandchildrenBehind) {
  // Two grandchildren, one ignoring SIGTERM, and the parent shell waiting on them.
  std::string script = writeScript(dir, "family.sh",
                                   "sleep 1000 & echo $! >> \"$0.pids\"\n"
                                   "(trap '' TERM; exec sleep 1000) & echo $! >> \"$0.pids\"\n"
                                   "echo $$ >> \"$0.pids\"\n"
                                   "wait");
  auto spec = testSpec("family", dir, {script});
  spec.stop.timeoutMs = 5000;
  ASSERT_TRUE(supervisor.start(spec));
  ASSERT_TRUE(waitFor([&] { return readLines(script + ".pids").size() == 3; }, 5s));
  auto pids = pidsIn(script + ".pids");
  for (pid_t pid : pids) ASSERT_FALSE(processGone(pid)) << pid;

  ASSERT_TRUE(supervisor.stop("family"));
  ASSERT_TRUE(recorder.waitFor(Kind::Stopped, "family"));
  // By the time Stopped is reported the group was SIGKILLed; allow the kernel a moment to finish.
  for (pid_t pid : pids) EXPECT_TRUE(waitFor([&] { return processGone(pid); }, 2s)) << pid;
}

TEST_F(SupervisorStop, AProcessThatDiesTakesItsGroupWithIt) {
  std::string script = writeScript(dir, "leaver.sh",
                                   "(trap '' TERM HUP; exec sleep 1000) & echo $! > \"$0.pid\"\n"
                                   "exit 7");
  ASSERT_TRUE(supervisor.start(testSpec("leaver", dir, {script})));
  auto exited = recorder.waitFor(Kind::Exited, "leaver");
  ASSERT_TRUE(exited);
  EXPECT_EQ(exited->exit.code, 7);
  auto grandchild = pidsIn(script + ".pid");
  ASSERT_EQ(grandchild.size(), 1u);
  EXPECT_TRUE(waitFor([&] { return processGone(grandchild[0]); }, 2s));
}

TEST(SupervisorShutdown, StopsEveryInstance) {
  TempDir dir;
  EventRecorder recorder;
  std::vector<pid_t> pids;
  {
    Supervisor supervisor(recorder.handler());
    for (int i = 0; i < 5; ++i)
      ASSERT_TRUE(supervisor.start(testSpec("s" + std::to_string(i), dir, {"/bin/sleep", "1000"})));
    for (const auto& status : supervisor.list()) pids.push_back(status.pid);
    // The destructor stops everything.
  }
  EXPECT_EQ(recorder.count(Kind::Stopped), 5);
  ASSERT_EQ(pids.size(), 5u);
  for (pid_t pid : pids) EXPECT_TRUE(processGone(pid)) << pid;
}

}  // namespace
}  // namespace sm::supervisor

// Restart policies, exponential backoff with jitter, steady-run reset, crash-loop detection.
// Timing is checked by order and bounds only: the machine may be busy.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>

#include "manager/supervisor/supervisor.hpp"
#include "tests/supervisor/test_support.hpp"

namespace sm::supervisor {
namespace {

using namespace testing;
using Kind = InstanceEvent::Kind;

class SupervisorRestart : public SupervisedTest {};

TEST_F(SupervisorRestart, BackoffDoublesWithinBoundsUpToTheCap) {
  auto spec = testSpec("flaky", dir, {"/bin/sh", "-c", "exit 1"});
  spec.restart.policy = RestartPolicy::OnFailure;
  spec.restart.backoffInitialMs = 50;
  spec.restart.backoffMaxMs = 400;
  spec.restart.crashLoopFailures = 6;
  ASSERT_TRUE(supervisor.start(spec));
  ASSERT_TRUE(recorder.waitFor(Kind::Failed, "flaky", 1, 20s));

  auto scheduled = recorder.events(Kind::RestartScheduled, "flaky");
  auto starts = recorder.events(Kind::Started, "flaky");
  auto exits = recorder.events(Kind::Exited, "flaky");
  ASSERT_EQ(scheduled.size(), 5u);
  ASSERT_EQ(starts.size(), 6u);
  ASSERT_EQ(exits.size(), 6u);
  // Nominal 50, 100, 200, 400, 400 ms with +-20 % jitter, clamped to [initial, max].
  const std::pair<long, long> bounds[] = {{50, 60}, {80, 120}, {160, 240}, {320, 400}, {320, 400}};
  for (std::size_t i = 0; i < scheduled.size(); ++i) {
    long delay = scheduled[i].delay.count();
    EXPECT_GE(delay, bounds[i].first) << "restart " << i;
    EXPECT_LE(delay, bounds[i].second) << "restart " << i;
    if (i > 0 && i < 4) {
      EXPECT_GT(delay, scheduled[i - 1].delay.count()) << "delays grow until the cap";
    }
    // The next start waits at least the delay, and not absurdly longer.
    auto gap = starts[i + 1].at - exits[i].at;
    EXPECT_GE(gap, scheduled[i].delay) << "restart " << i;
    EXPECT_LT(gap, scheduled[i].delay + 3s) << "restart " << i;
  }
}

TEST_F(SupervisorRestart, ASteadyRunStartsTheBackoffOver) {
  // The third run lasts 700 ms (steady, > steadyRunMs); all others fail at once.
  std::string script = writeScript(dir, "steady.sh",
                                   "echo run >> \"$0.runs\"\n"
                                   "[ $(wc -l < \"$0.runs\") -eq 3 ] && sleep 0.7\n"
                                   "exit 1");
  auto spec = testSpec("steady", dir, {script});
  spec.restart.policy = RestartPolicy::Always;
  spec.restart.backoffInitialMs = 50;
  spec.restart.backoffMaxMs = 5000;
  spec.restart.steadyRunMs = 400;
  spec.restart.crashLoopFailures = 5;
  ASSERT_TRUE(supervisor.start(spec));
  ASSERT_TRUE(recorder.waitFor(Kind::Failed, "steady", 1, 20s));
  auto delays = recorder.events(Kind::RestartScheduled, "steady");
  ASSERT_EQ(delays.size(), 4u);
  EXPECT_LE(delays[0].delay.count(), 60);
  EXPECT_GE(delays[1].delay.count(), 80);
  EXPECT_LE(delays[2].delay.count(), 60) << "after the steady run the backoff is back at its start";
  EXPECT_GE(delays[3].delay.count(), 80);
}

TEST_F(SupervisorRestart, CrashLoopMarksTheInstanceFailedAndStopsRetrying) {
  auto spec = testSpec("looper", dir, {"/bin/sh", "-c", "exit 2"});
  spec.restart.policy = RestartPolicy::Always;
  spec.restart.backoffInitialMs = 20;
  spec.restart.backoffMaxMs = 40;
  spec.restart.crashLoopFailures = 4;
  spec.restart.crashLoopWindowSeconds = 60;
  ASSERT_TRUE(supervisor.start(spec));
  auto failed = recorder.waitFor(Kind::Failed, "looper");
  ASSERT_TRUE(failed);
  EXPECT_TRUE(failed->crashLoop);
  EXPECT_NE(failed->message.find("crash loop: 4 failures"), std::string::npos) << failed->message;
  EXPECT_EQ(recorder.count(Kind::Started, "looper"), 4);
  auto status = supervisor.status("looper");
  EXPECT_EQ(status->state, InstanceState::Failed);
  EXPECT_EQ(status->pid, 0);
  EXPECT_NE(status->lastError.find("crash loop"), std::string::npos);
  // Many times the largest backoff passes without another start.
  EXPECT_FALSE(recorder.waitFor(Kind::Started, "looper", 5, 400ms));
}

TEST_F(SupervisorRestart, FailuresOutsideTheWindowAreNotACrashLoop) {
  // Each run lasts ~0.6 s, so a 1 s window never holds 3 failures.
  auto spec = testSpec("slowfail", dir, {"/bin/sh", "-c", "sleep 0.6; exit 1"});
  spec.restart.policy = RestartPolicy::OnFailure;
  spec.restart.backoffInitialMs = 20;
  spec.restart.backoffMaxMs = 40;
  spec.restart.crashLoopFailures = 3;
  spec.restart.crashLoopWindowSeconds = 1;
  ASSERT_TRUE(supervisor.start(spec));
  ASSERT_TRUE(recorder.waitFor(Kind::Started, "slowfail", 5, 20s));
  EXPECT_EQ(recorder.count(Kind::Failed, "slowfail"), 0);
}

TEST_F(SupervisorRestart, PoliciesDecideWhatACleanExitMeans) {
  auto onFailure = testSpec("onfailure", dir, {"/bin/sh", "-c", "exit 0"});
  onFailure.restart.policy = RestartPolicy::OnFailure;
  auto always = testSpec("always", dir, {"/bin/sh", "-c", "exit 0"});
  always.restart.policy = RestartPolicy::Always;
  always.restart.crashLoopFailures = 3;
  auto never = testSpec("never", dir, {"/bin/sh", "-c", "exit 0"});
  ASSERT_TRUE(supervisor.start(onFailure));
  ASSERT_TRUE(supervisor.start(always));
  ASSERT_TRUE(supervisor.start(never));

  ASSERT_TRUE(recorder.waitFor(Kind::Completed, "onfailure"));
  ASSERT_TRUE(recorder.waitFor(Kind::Completed, "never"));
  ASSERT_TRUE(recorder.waitFor(Kind::Failed, "always"));
  EXPECT_EQ(recorder.count(Kind::Started, "onfailure"), 1);
  EXPECT_EQ(recorder.count(Kind::Started, "never"), 1);
  EXPECT_EQ(recorder.count(Kind::Started, "always"), 3) << "always restarts clean exits too";
  EXPECT_EQ(supervisor.status("onfailure")->state, InstanceState::Completed);
}

TEST_F(SupervisorRestart, StopDuringBackoffCancelsTheRestart) {
  auto spec = testSpec("waiting", dir, {"/bin/sh", "-c", "exit 1"});
  spec.restart.policy = RestartPolicy::OnFailure;
  spec.restart.backoffInitialMs = 2000;
  spec.restart.backoffMaxMs = 2000;
  ASSERT_TRUE(supervisor.start(spec));
  ASSERT_TRUE(recorder.waitFor(Kind::RestartScheduled, "waiting"));
  EXPECT_EQ(supervisor.status("waiting")->state, InstanceState::BackingOff);
  auto stopAt = std::chrono::steady_clock::now();
  ASSERT_TRUE(supervisor.stop("waiting"));
  auto stopped = recorder.waitFor(Kind::Stopped, "waiting");
  ASSERT_TRUE(stopped);
  EXPECT_LT(stopped->at - stopAt, 1s);
  EXPECT_FALSE(recorder.waitFor(Kind::Started, "waiting", 2, 2500ms))
      << "the scheduled restart was cancelled";
}

// Another program listening on 127.0.0.1:`port` for as long as it lives.
class Squatter {
 public:
  explicit Squatter(int port) : fd_(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    listening_ = fd_ >= 0 &&
                 bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
                 listen(fd_, 1) == 0;
  }
  ~Squatter() {
    if (fd_ >= 0) close(fd_);
  }
  bool listening() const { return listening_; }

 private:
  int fd_;
  bool listening_ = false;
};

TEST_F(SupervisorRestart, APortTakenByAnotherProgramIsReplacedAtTheRestart) {
  // The first run notes its port and fails once told to (by then another program holds the
  // port); the runs after it note theirs and stay.
  std::string script = writeScript(dir, "port.sh",
                                   "echo \"$SM_PORT_HTTP\" >> \"$0.ports\"\n"
                                   "if [ $(wc -l < \"$0.ports\") -eq 1 ]; then\n"
                                   "  while [ ! -e \"$0.go\" ]; do sleep 0.01; done\n"
                                   "  exit 1\n"
                                   "fi\n"
                                   "exec sleep 1000");
  auto spec = testSpec("squatted", dir, {script});
  spec.ports = {"http"};
  spec.restart.policy = RestartPolicy::Always;
  spec.restart.backoffInitialMs = 50;
  ASSERT_TRUE(supervisor.start(spec));
  ASSERT_TRUE(waitFor([&] { return readLines(script + ".ports").size() == 1; }, 10s));
  const int first = std::stoi(readLines(script + ".ports")[0]);
  EXPECT_EQ(supervisor.status("squatted")->ports.at("http"), first);

  Squatter squatter(first);
  ASSERT_TRUE(squatter.listening());
  std::ofstream(script + ".go").put('\n');
  ASSERT_TRUE(recorder.waitFor(Kind::Started, "squatted", 2));
  ASSERT_TRUE(waitFor([&] { return readLines(script + ".ports").size() == 2; }, 10s));
  const int second = std::stoi(readLines(script + ".ports")[1]);
  EXPECT_NE(second, first) << "the restart got the port another program holds";
  EXPECT_EQ(supervisor.status("squatted")->ports.at("http"), second);
}

}  // namespace
}  // namespace sm::supervisor

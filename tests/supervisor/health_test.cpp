// Health checks: exec and TCP probes, readiness, and restarts of unhealthy processes.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "manager/supervisor/supervisor.hpp"
#include "tests/supervisor/test_support.hpp"

namespace sm::supervisor {
namespace {

using namespace testing;
using Kind = InstanceEvent::Kind;

class SupervisorHealth : public SupervisedTest {};

ProcessSpec probedSpec(const std::string& id, const TempDir& dir, std::vector<std::string> argv) {
  auto spec = testSpec(id, dir, std::move(argv));
  spec.restart.policy = RestartPolicy::OnFailure;
  spec.health.intervalMs = 50;
  spec.health.timeoutMs = 1000;
  spec.health.failureThreshold = 2;
  return spec;
}

TEST_F(SupervisorHealth, ExecProbeDecidesReadinessAndRestartsWhenUnhealthy) {
  // The probe sees the instance's environment.
  std::string probe =
      writeScript(dir, "probe.sh", "test -f \"" + dir.path() + "/$SM_PHYSICAL_ID.healthy\"");
  auto spec = probedSpec("probed", dir, {"/bin/sleep", "1000"});
  spec.health.kind = HealthSpec::Kind::Exec;
  spec.health.execArgv = {probe};
  ASSERT_TRUE(supervisor.start(spec));
  auto first = recorder.waitFor(Kind::Started, "probed");
  ASSERT_TRUE(first);
  EXPECT_FALSE(supervisor.status("probed")->ready);

  std::string marker = dir.file("phys-probed.healthy");
  std::ofstream(marker) << "ok";
  ASSERT_TRUE(recorder.waitFor(Kind::Ready, "probed"));
  EXPECT_TRUE(supervisor.status("probed")->ready);
  EXPECT_EQ(recorder.count(Kind::Unhealthy, "probed"), 0);

  std::filesystem::remove(marker);
  ASSERT_TRUE(recorder.waitFor(Kind::Unhealthy, "probed"));
  auto exited = recorder.waitFor(Kind::Exited, "probed");
  ASSERT_TRUE(exited);
  EXPECT_EQ(exited->message, "killed as unhealthy");
  EXPECT_TRUE(waitFor([&] { return processGone(first->pid); }, 2s));
  auto second = recorder.waitFor(Kind::Started, "probed", 2);
  ASSERT_TRUE(second) << "an unhealthy process is restarted";
  EXPECT_NE(second->pid, first->pid);
  EXPECT_FALSE(supervisor.status("probed")->ready);
  std::ofstream(marker) << "ok";
  ASSERT_TRUE(recorder.waitFor(Kind::Ready, "probed", 2));
}

TEST_F(SupervisorHealth, TcpProbeOnANamedPort) {
  auto listening = probedSpec("listening", dir, {demoServicePath()});
  listening.ports = {"http"};
  listening.health.kind = HealthSpec::Kind::Tcp;
  listening.health.tcpPortName = "http";
  // Nothing listens on this one's port: refused, unhealthy, restarted.
  auto deaf = probedSpec("deaf", dir, {"/bin/sleep", "1000"});
  deaf.ports = {"http"};
  deaf.health.kind = HealthSpec::Kind::Tcp;
  deaf.health.tcpPortName = "http";
  ASSERT_TRUE(supervisor.start(listening));
  ASSERT_TRUE(supervisor.start(deaf));

  ASSERT_TRUE(recorder.waitFor(Kind::Ready, "listening"));
  auto unhealthy = recorder.waitFor(Kind::Unhealthy, "deaf");
  ASSERT_TRUE(unhealthy);
  EXPECT_NE(unhealthy->message.find("refused"), std::string::npos) << unhealthy->message;
  ASSERT_TRUE(recorder.waitFor(Kind::Started, "deaf", 2));
  EXPECT_EQ(recorder.count(Kind::Ready, "deaf"), 0);
  EXPECT_EQ(recorder.count(Kind::Unhealthy, "listening"), 0);
}

// A hung process (SIGSTOP) still has its connections accepted by the kernel until its listen
// backlog is full: only a probe that asks it something notices at once.
TEST_F(SupervisorHealth, ATcpProbeWithAnExchangeNoticesAHungProcess) {
  auto asking = probedSpec("asking", dir, {demoServicePath()});
  asking.ports = {"http"};
  asking.health.kind = HealthSpec::Kind::Tcp;
  asking.health.tcpPortName = "http";
  asking.health.tcpSend = "ROLE\n";
  asking.health.tcpExpect = "{";
  asking.health.timeoutMs = 100;
  // Same service, an answer it never gives: unhealthy with what it said.
  auto picky = asking;
  picky.instanceId = "picky";
  picky.health.tcpExpect = "PONG";
  ASSERT_TRUE(supervisor.start(asking));
  ASSERT_TRUE(supervisor.start(picky));
  auto started = recorder.waitFor(Kind::Started, "asking");
  ASSERT_TRUE(started);
  ASSERT_TRUE(recorder.waitFor(Kind::Ready, "asking"));
  auto wrong = recorder.waitFor(Kind::Unhealthy, "picky");
  ASSERT_TRUE(wrong);
  EXPECT_NE(wrong->message.find("expected it to start with \"PONG\""), std::string::npos)
      << wrong->message;

  ASSERT_EQ(::kill(started->pid, SIGSTOP), 0);
  auto hung = recorder.waitFor(Kind::Unhealthy, "asking");
  ::kill(started->pid, SIGCONT);
  ASSERT_TRUE(hung) << "a stopped process must fail a probe that asks it something";
  EXPECT_NE(hung->message.find("no answer in time"), std::string::npos) << hung->message;
}

TEST_F(SupervisorHealth, AProbeThatHangsTimesOutAndUnderPolicyNeverTheInstanceFails) {
  std::string probe = writeScript(dir, "hang.sh", "echo $$ >> \"$0.pids\"\nexec sleep 1000");
  auto spec = probedSpec("hung", dir, {"/bin/sleep", "1000"});
  spec.restart.policy = RestartPolicy::Never;
  spec.health.kind = HealthSpec::Kind::Exec;
  spec.health.execArgv = {probe};
  spec.health.timeoutMs = 100;
  ASSERT_TRUE(supervisor.start(spec));
  auto unhealthy = recorder.waitFor(Kind::Unhealthy, "hung");
  ASSERT_TRUE(unhealthy);
  EXPECT_NE(unhealthy->message.find("timed out"), std::string::npos) << unhealthy->message;
  auto failed = recorder.waitFor(Kind::Failed, "hung");
  ASSERT_TRUE(failed);
  EXPECT_NE(failed->message.find("unhealthy"), std::string::npos);
  auto probes = readLines(probe + ".pids");
  ASSERT_EQ(probes.size(), 2u);
  for (const auto& pid : probes)
    EXPECT_TRUE(waitFor([&] { return processGone(std::stoi(pid)); }, 2s)) << "probe " << pid;
}

}  // namespace
}  // namespace sm::supervisor

// Start, stop, exit notification, environment, start failures: with real processes.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include "manager/supervisor/supervisor.hpp"
#include "tests/supervisor/test_support.hpp"

namespace sm::supervisor {
namespace {

using namespace testing;
using Kind = InstanceEvent::Kind;

class SupervisorLifecycle : public SupervisedTest {};

TEST_F(SupervisorLifecycle, StartsAndStopsARealProcess) {
  ASSERT_TRUE(supervisor.start(testSpec("sleeper", dir, {"/bin/sleep", "1000"})));

  auto started = recorder.waitFor(Kind::Started, "sleeper");
  ASSERT_TRUE(started);
  ASSERT_GT(started->pid, 0);
  EXPECT_FALSE(processGone(started->pid));
  EXPECT_EQ(getpgid(started->pid), started->pid) << "the process leads its own group";
  auto status = supervisor.status("sleeper");
  ASSERT_TRUE(status);
  EXPECT_EQ(status->state, InstanceState::Running);
  EXPECT_EQ(status->pid, started->pid);
  EXPECT_TRUE(status->ready) << "without a health check a started process is ready";

  ASSERT_TRUE(supervisor.stop("sleeper"));
  auto exited = recorder.waitFor(Kind::Exited, "sleeper");
  ASSERT_TRUE(exited);
  EXPECT_TRUE(exited->exit.signaled);
  EXPECT_EQ(exited->exit.signal, SIGTERM);
  ASSERT_TRUE(recorder.waitFor(Kind::Stopped, "sleeper"));
  EXPECT_TRUE(processGone(started->pid));
  EXPECT_FALSE(supervisor.status("sleeper")) << "a stopped instance is forgotten";
  EXPECT_TRUE(supervisor.start(testSpec("sleeper", dir, {"/bin/sleep", "1000"})))
      << "its id can be reused";
  ASSERT_TRUE(recorder.waitFor(Kind::Started, "sleeper", 2));
}

TEST_F(SupervisorLifecycle, ExitIsReportedAtOnceWithItsStatus) {
  ASSERT_TRUE(supervisor.start(testSpec("victim", dir, {"/bin/sleep", "1000"})));
  auto started = recorder.waitFor(Kind::Started, "victim");
  ASSERT_TRUE(started);

  auto killedAt = std::chrono::steady_clock::now();
  ASSERT_EQ(kill(started->pid, SIGKILL), 0);
  auto exited = recorder.waitFor(Kind::Exited, "victim");
  ASSERT_TRUE(exited);
  EXPECT_TRUE(exited->exit.signaled);
  EXPECT_EQ(exited->exit.signal, SIGKILL);
  EXPECT_EQ(exited->pid, started->pid);
  // Loose: the bench measures the real figure; this only proves nothing polls at a slow interval.
  EXPECT_LT(exited->at - killedAt, 500ms);
  auto failed = recorder.waitFor(Kind::Failed, "victim");
  ASSERT_TRUE(failed) << "a failure under policy never is final";
  EXPECT_FALSE(failed->crashLoop);

  ASSERT_TRUE(supervisor.start(testSpec("exit3", dir, {"/bin/sh", "-c", "exit 3"})));
  exited = recorder.waitFor(Kind::Exited, "exit3");
  ASSERT_TRUE(exited);
  EXPECT_FALSE(exited->exit.signaled);
  EXPECT_EQ(exited->exit.code, 3);
  EXPECT_EQ(supervisor.status("exit3")->state, InstanceState::Failed);
}

TEST_F(SupervisorLifecycle, GivesTheEnvironmentPortsAndArgvWithoutAShell) {
  std::filesystem::create_directory(dir.file("work"));
  std::string script = writeScript(dir, "env.sh",
                                   "env > \"$OUT/env.$$\"\n"
                                   "pwd > \"$OUT/pwd\"\n"
                                   "for a in \"$@\"; do echo \"[$a]\"; done > \"$OUT/args\"\n"
                                   "echo $$ >> \"$OUT/runs\"\n"
                                   "exit 1");
  auto spec = testSpec("envy", dir, {script, "two words", "$HOME", "*"});
  spec.env = {{"OUT", dir.path()}, {"SM_ZK", "must-not-win"}, {"MY_SETTING", "x=y"}};
  spec.workingDir = dir.file("work");
  spec.ports = {"http", "admin-api"};
  spec.restart.policy = RestartPolicy::Always;
  spec.restart.crashLoopFailures = 2;
  ASSERT_TRUE(supervisor.start(spec));
  ASSERT_TRUE(recorder.waitFor(Kind::Failed, "envy"));

  auto runs = readLines(dir.file("runs"));
  ASSERT_EQ(runs.size(), 2u);
  auto environmentOf = [&](const std::string& pid) {
    std::map<std::string, std::string> variables;
    for (const auto& line : readLines(dir.file("env." + pid))) {
      auto eq = line.find('=');
      if (eq != std::string::npos) variables[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return variables;
  };
  auto first = environmentOf(runs[0]);
  auto second = environmentOf(runs[1]);
  EXPECT_EQ(first["SM_ZK"], "127.0.0.1:2181") << "SM_* cannot be overridden by spec.env";
  EXPECT_EQ(first["SM_ZROOT"], "/sm-test");
  EXPECT_EQ(first["SM_SERVICE_TYPE"], "Demo");
  EXPECT_EQ(first["SM_LOGICAL_SERVICE"], "/sm-test/config/Demo/logicalService0000000001");
  EXPECT_EQ(first["SM_PHYSICAL_ID"], "phys-envy");
  EXPECT_EQ(first["SM_HOST_ID"], "host-test");
  EXPECT_EQ(first["SM_ROLE_FILE"], dir.file("envy.role.json"));
  EXPECT_EQ(first["MY_SETTING"], "x=y");
  EXPECT_FALSE(first["PATH"].empty()) << "the manager's environment is inherited";
  int http = std::stoi(first["SM_PORT_HTTP"]);
  int admin = std::stoi(first["SM_PORT_ADMIN_API"]);
  EXPECT_GT(http, 0);
  EXPECT_GT(admin, 0);
  EXPECT_NE(http, admin);
  EXPECT_EQ(second["SM_PORT_HTTP"], first["SM_PORT_HTTP"]) << "ports are kept across restarts";
  EXPECT_EQ(second["SM_PORT_ADMIN_API"], first["SM_PORT_ADMIN_API"]);
  EXPECT_EQ(readFile(dir.file("pwd")), dir.file("work") + "\n");
  EXPECT_EQ(readFile(dir.file("args")), "[two words]\n[$HOME]\n[*]\n")
      << "argv is passed as is, no shell";
}

TEST_F(SupervisorLifecycle, WithoutInheritanceOnlyTheSpecsAndSmVariablesAreSet) {
  auto spec = testSpec("bare", dir, {"/usr/bin/env"});
  spec.inheritEnvironment = false;
  spec.env = {{"ONLY_THIS", "1"}};
  ASSERT_TRUE(supervisor.start(spec));
  ASSERT_TRUE(recorder.waitFor(Kind::Completed, "bare"));
  std::vector<std::string> names;
  for (const auto& line : readLines(dir.file("bare.stdout.log")))
    names.push_back(line.substr(0, line.find('=')));
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"ONLY_THIS", "SM_HOST_ID", "SM_LOGICAL_SERVICE",
                                             "SM_PEERS_FILE", "SM_PHYSICAL_ID", "SM_ROLE_FILE",
                                             "SM_SERVICE_TYPE", "SM_ZK", "SM_ZROOT"}));
}

TEST(SupervisorChildSetup, ChildStartsCleanOfTheManagersSignalStateAndFds) {
  TempDir dir;
  EventRecorder recorder;
  // The manager ignores SIGPIPE and holds an fd without CLOEXEC; neither may reach the child.
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction previous {};
  sigaction(SIGPIPE, &ignore, &previous);
  int leaky = open("/dev/null", O_RDONLY);
  Supervisor supervisor(recorder.handler());
  ASSERT_TRUE(supervisor.start(testSpec("clean", dir, {"/bin/sleep", "1000"})));
  auto started = recorder.waitFor(Kind::Started, "clean");
  ASSERT_TRUE(started);
  std::string procStatus = readFile("/proc/" + std::to_string(started->pid) + "/status");
  EXPECT_NE(procStatus.find("SigIgn:\t0000000000000000"), std::string::npos) << procStatus;
  EXPECT_NE(procStatus.find("SigBlk:\t0000000000000000"), std::string::npos) << procStatus;
  // Waited for, because sleep itself briefly opens files (locale data) as it starts; a leaked fd
  // stays.
  std::set<std::string> fds;
  EXPECT_TRUE(waitFor(
      [&] {
        fds.clear();
        for (const auto& entry :
             std::filesystem::directory_iterator("/proc/" + std::to_string(started->pid) + "/fd"))
          fds.insert(entry.path().filename().string());
        return fds == std::set<std::string>{"0", "1", "2"};
      },
      2s))
      << "open fds: " << fds.size();
  supervisor.stopAll();
  close(leaky);
  sigaction(SIGPIPE, &previous, nullptr);
  EXPECT_TRUE(processGone(started->pid));
}

TEST_F(SupervisorLifecycle, MissingOrNonExecutableBinaryIsAReportedStartFailure) {
  writeScript(dir, "not-executable.sh", "exit 0");
  chmod(dir.file("not-executable.sh").c_str(), 0644);
  // Executable, but neither a program nor a script with a #! line: only execve() can tell.
  {
    std::ofstream garbage(dir.file("no-format"));
    garbage << "\x7f\x01 not a program\n";
  }
  chmod(dir.file("no-format").c_str(), 0755);

  ASSERT_TRUE(supervisor.start(testSpec("missing", dir, {dir.file("no-such-binary")})));
  ASSERT_TRUE(supervisor.start(testSpec("noexec", dir, {dir.file("not-executable.sh")})));
  ASSERT_TRUE(supervisor.start(testSpec("nopath", dir, {"sm-no-such-command-anywhere"})));
  auto nowhere = testSpec("nodir", dir, {"/bin/sleep", "1000"});
  nowhere.workingDir = dir.file("no-such-dir");
  ASSERT_TRUE(supervisor.start(nowhere));
  ASSERT_TRUE(supervisor.start(testSpec("noformat", dir, {dir.file("no-format")})));
  for (const auto* id : {"missing", "noexec", "nopath", "nodir", "noformat"}) {
    auto failure = recorder.waitFor(Kind::StartFailed, id);
    ASSERT_TRUE(failure) << id;
    ASSERT_TRUE(recorder.waitFor(Kind::Failed, id)) << id;
    EXPECT_EQ(recorder.count(Kind::Started, id), 0) << id;
    EXPECT_EQ(supervisor.status(id)->state, InstanceState::Failed);
  }
  EXPECT_NE(recorder.events(Kind::StartFailed, "missing")[0].message.find("No such file"),
            std::string::npos)
      << recorder.events(Kind::StartFailed, "missing")[0].message;
  EXPECT_NE(recorder.events(Kind::StartFailed, "noexec")[0].message.find("not executable"),
            std::string::npos);
  EXPECT_NE(recorder.events(Kind::StartFailed, "nopath")[0].message.find("not found"),
            std::string::npos);
  EXPECT_NE(recorder.events(Kind::StartFailed, "nodir")[0].message.find("working dir"),
            std::string::npos);
  EXPECT_NE(recorder.events(Kind::StartFailed, "noformat")[0].message.find("execve: Exec format"),
            std::string::npos)
      << recorder.events(Kind::StartFailed, "noformat")[0].message;

  // Under a restarting policy a missing binary is retried with backoff, then ends as a crash loop.
  auto retried = testSpec("retried", dir, {dir.file("no-such-binary")});
  retried.restart.policy = RestartPolicy::Always;
  retried.restart.crashLoopFailures = 3;
  ASSERT_TRUE(supervisor.start(retried));
  auto failed = recorder.waitFor(Kind::Failed, "retried");
  ASSERT_TRUE(failed);
  EXPECT_TRUE(failed->crashLoop);
  EXPECT_EQ(recorder.count(Kind::StartFailed, "retried"), 3);
}

TEST_F(SupervisorLifecycle, RefusesDuplicateOrEmptyIds) {
  std::string error;
  ASSERT_TRUE(supervisor.start(testSpec("one", dir, {"/bin/sleep", "1000"})));
  EXPECT_FALSE(supervisor.start(testSpec("one", dir, {"/bin/sleep", "1000"}), &error));
  EXPECT_NE(error.find("already"), std::string::npos);
  EXPECT_FALSE(supervisor.start(testSpec("", dir, {"/bin/sleep", "1000"}), &error));
  EXPECT_FALSE(supervisor.start(testSpec("../escape", dir, {"/bin/sleep", "1000"}), &error));
  pid_t pid = supervisor.status("one")->pid;
  supervisor.stopAll();
  EXPECT_TRUE(processGone(pid));
}

}  // namespace
}  // namespace sm::supervisor

namespace sm::supervisor {
namespace {

using namespace testing;
using Kind = InstanceEvent::Kind;

// The event handler runs on the supervisor's thread and may call back into it; stopping an
// instance from inside any of its events must end it cleanly.
TEST(SupervisorReentrancy, AHandlerMayStopAnInstanceFromInsideItsEvents) {
  TempDir dir;
  EventRecorder recorder;
  auto record = recorder.handler();
  const std::map<std::string, Kind> stopOn = {{"on-started", Kind::Started},
                                              {"on-ready", Kind::Ready},
                                              {"on-exited", Kind::Exited},
                                              {"on-start-failed", Kind::StartFailed},
                                              {"on-restart", Kind::RestartScheduled}};
  Supervisor* self = nullptr;
  Supervisor supervisor([&](const InstanceEvent& event) {
    record(event);
    auto it = stopOn.find(event.instanceId);
    if (it != stopOn.end() && it->second == event.kind) self->stop(event.instanceId);
  });
  self = &supervisor;

  auto ready = testSpec("on-ready", dir, {demoServicePath()});
  ready.ports = {"http"};
  ready.health.kind = HealthSpec::Kind::Tcp;
  ready.health.tcpPortName = "http";
  ready.health.intervalMs = 20;
  auto exited = testSpec("on-exited", dir, {"/bin/sh", "-c", "exit 1"});
  exited.restart.policy = RestartPolicy::OnFailure;
  auto startFailed = testSpec("on-start-failed", dir, {dir.file("missing")});
  startFailed.restart.policy = RestartPolicy::Always;
  auto restart = testSpec("on-restart", dir, {"/bin/sh", "-c", "exit 1"});
  restart.restart.policy = RestartPolicy::Always;
  ASSERT_TRUE(supervisor.start(testSpec("on-started", dir, {"/bin/sleep", "1000"})));
  ASSERT_TRUE(supervisor.start(ready));
  ASSERT_TRUE(supervisor.start(exited));
  ASSERT_TRUE(supervisor.start(startFailed));
  ASSERT_TRUE(supervisor.start(restart));
  for (const auto& [id, kind] : stopOn) {
    ASSERT_TRUE(recorder.waitFor(Kind::Stopped, id)) << id;
    EXPECT_FALSE(supervisor.status(id)) << id;
    EXPECT_LE(recorder.count(Kind::Started, id), 1) << id;
    EXPECT_EQ(recorder.count(Kind::Failed, id), 0) << id;
  }
  EXPECT_TRUE(supervisor.list().empty());
}

}  // namespace
}  // namespace sm::supervisor

// The role file (format, atomic write, lease), the services/ library that reads it, and role
// changes reaching the demo service through a signal and through an exec hook.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "manager/supervisor/supervisor.hpp"
#include "services/role.hpp"
#include "services/sm_role.h"
#include "tests/supervisor/test_support.hpp"

namespace sm::supervisor {
namespace {

using namespace testing;
using Kind = InstanceEvent::Kind;

class RoleFile : public SupervisedTest {};

// A master role is written only for the run it is meant for: the one running now.
pid_t runningPid(Supervisor& supervisor, const std::string& id) {
  auto status = supervisor.status(id);
  return status ? status->pid : 0;
}

RoleState masterFor(std::chrono::milliseconds lease, std::int64_t epoch) {
  RoleState role;
  role.role = Role::Master;
  role.epoch = epoch;
  role.leaseUntilMonoNs =
      monotonicNowNs() + static_cast<std::uint64_t>(std::chrono::nanoseconds(lease).count());
  role.masterPeer = {{"physical", "phys-1"}, {"host", "host-a"}, {"ports", {{"http", 8080}}}};
  return role;
}

TEST_F(RoleFile, ANoticeBeforeTheProgramHandlesItDoesNotKillIt) {
  // sleep installs no handler: with the default disposition the notice would kill it.
  auto spec = testSpec("early", dir, {"/bin/sleep", "1000"});
  spec.roleNotice.kind = RoleNoticeSpec::Kind::Signal;
  spec.roleNotice.signal = SIGUSR1;
  ASSERT_TRUE(supervisor.start(spec));
  auto started = recorder.waitFor(Kind::Started, "early");
  ASSERT_TRUE(started);
  const std::string status = readFile("/proc/" + std::to_string(started->pid) + "/status");
  EXPECT_NE(status.find("SigIgn:\t0000000000000200"), std::string::npos)
      << "SIGUSR1 (and only it) starts ignored: " << status;
  ASSERT_TRUE(supervisor.setRole("early", masterFor(60s, 1), runningPid(supervisor, "early")));
  ASSERT_TRUE(recorder.waitFor(Kind::RoleNoticeSent, "early"));
  // An ignored signal is discarded when it is sent: the process is still there, not a zombie.
  const std::string after = readFile("/proc/" + std::to_string(started->pid) + "/stat");
  ASSERT_FALSE(after.empty());
  EXPECT_NE(after[after.rfind(')') + 2], 'Z') << after;
  EXPECT_EQ(supervisor.status("early")->state, InstanceState::Running);
}

// Asks the demo service for its role; empty until it answers.
nlohmann::json demoRole(int port) {
  std::string answer = askLoopback(port, "ROLE\n");
  return nlohmann::json::parse(answer, nullptr, false);
}

TEST_F(RoleFile, IsOneAtomicJsonLineThatTheServicesLibraryReads) {
  ASSERT_TRUE(supervisor.start(testSpec("holder", dir, {"/bin/sleep", "1000"})));
  std::string path = supervisor.status("holder")->roleFile;
  auto initial = services::readRoleFile(path);
  ASSERT_TRUE(initial) << "written before the process starts";
  EXPECT_EQ(initial->role, services::Role::Unknown);

  auto role = masterFor(10s, 7);
  ASSERT_TRUE(supervisor.setRole("holder", role, runningPid(supervisor, "holder")));
  std::string text = readFile(path);
  ASSERT_FALSE(text.empty());
  EXPECT_EQ(text.find('\n'), text.size() - 1) << "exactly one line";
  auto json = nlohmann::json::parse(text);
  EXPECT_EQ(json["role"], "master");
  EXPECT_EQ(json["epoch"], 7);
  EXPECT_EQ(json["leaseUntilMonoNs"].get<std::uint64_t>(), role.leaseUntilMonoNs);
  EXPECT_EQ(json["masterPeer"]["host"], "host-a");
  EXPECT_FALSE(std::filesystem::exists(path + ".tmp")) << "the temp file was renamed into place";

  auto read = services::readRoleFile(path);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->role, services::Role::Master);
  EXPECT_EQ(read->epoch, 7);
  EXPECT_TRUE(services::isMasterNow(*read));
  EXPECT_EQ(nlohmann::json::parse(read->masterPeerJson), role.masterPeer);
  EXPECT_EQ(services::effectiveRole(*read, role.leaseUntilMonoNs), services::Role::Unknown)
      << "at the lease deadline a master is no longer master";

  sm_role_info info{};
  ASSERT_EQ(sm_role_read(path.c_str(), &info), SM_ROLE_OK);
  EXPECT_EQ(info.role, SM_ROLE_MASTER);
  EXPECT_EQ(info.epoch, 7);
  EXPECT_EQ(sm_role_is_master_now(&info), 1);
  EXPECT_EQ(sm_role_effective(&info, info.lease_until_mono_ns + 1), SM_ROLE_UNKNOWN);
  EXPECT_STREQ(sm_role_name(SM_ROLE_SECONDARY), "secondary");
}

TEST_F(RoleFile, TheSameRoleAgainLeavesTheFileAsItIs) {
  ASSERT_TRUE(supervisor.start(testSpec("repeated", dir, {"/bin/sleep", "1000"})));
  const std::string path = supervisor.status("repeated")->roleFile;
  const auto pid = runningPid(supervisor, "repeated");
  auto role = masterFor(10s, 3);
  ASSERT_TRUE(supervisor.setRole("repeated", role, pid));
  struct stat first {};
  ASSERT_EQ(stat(path.c_str(), &first), 0);
  ASSERT_TRUE(supervisor.setRole("repeated", role, pid));
  struct stat again {};
  ASSERT_EQ(stat(path.c_str(), &again), 0);
  EXPECT_EQ(again.st_ino, first.st_ino) << "the same role again replaced the file";

  // A renewed lease is a new line: written.
  role.leaseUntilMonoNs += 1'000'000;
  ASSERT_TRUE(supervisor.setRole("repeated", role, pid));
  struct stat renewed {};
  ASSERT_EQ(stat(path.c_str(), &renewed), 0);
  EXPECT_NE(renewed.st_ino, first.st_ino);
  auto read = services::readRoleFile(path);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->leaseUntilMonoNs, role.leaseUntilMonoNs);
}

TEST_F(RoleFile, AnExpiredMasterLeaseIsNotMastership) {
  ASSERT_TRUE(supervisor.start(testSpec("lapsed", dir, {"/bin/sleep", "1000"})));
  ASSERT_TRUE(supervisor.setRole("lapsed", masterFor(-1ms, 3), runningPid(supervisor, "lapsed")));
  auto read = services::readRoleFile(supervisor.status("lapsed")->roleFile);
  ASSERT_TRUE(read);
  EXPECT_EQ(read->role, services::Role::Master) << "the file says master...";
  EXPECT_FALSE(services::isMasterNow(*read)) << "...but its lease has passed";
  EXPECT_EQ(services::effectiveRole(*read), services::Role::Unknown);
}

// A master role decided for a run that has ended (say, a lease renewal on its way while the process
// died) must never reach the run that replaces it: the new process would act as master while
// another instance already is.
TEST_F(RoleFile, AMasterRoleMeantForAnEndedRunNeverReachesTheNextOne) {
  auto spec = testSpec("rerun", dir, {"/bin/sleep", "1000"});
  spec.restart.policy = RestartPolicy::Always;
  spec.restart.backoffInitialMs = 10;
  ASSERT_TRUE(supervisor.start(spec));
  auto first = recorder.waitFor(Kind::Started, "rerun");
  ASSERT_TRUE(first);
  ASSERT_TRUE(supervisor.setRole("rerun", masterFor(60s, 1), first->pid));
  kill(first->pid, SIGKILL);
  ASSERT_TRUE(recorder.waitFor(Kind::Exited, "rerun"));
  EXPECT_FALSE(supervisor.setRole("rerun", masterFor(60s, 1), first->pid))
      << "no process runs: nobody to be master";
  auto second = recorder.waitFor(Kind::Started, "rerun", 2);
  ASSERT_TRUE(second);
  EXPECT_FALSE(supervisor.setRole("rerun", masterFor(60s, 1), first->pid))
      << "meant for the run that ended";
  auto read = services::readRoleFile(dir.file("rerun.role.json"));
  ASSERT_TRUE(read);
  EXPECT_EQ(read->role, services::Role::Unknown);
  EXPECT_TRUE(supervisor.setRole("rerun", masterFor(60s, 2), second->pid));
  read = services::readRoleFile(dir.file("rerun.role.json"));
  ASSERT_TRUE(read);
  EXPECT_EQ(read->role, services::Role::Master);
  EXPECT_EQ(read->epoch, 2);
}

TEST_F(RoleFile, AProcessExitResetsTheRoleToUnknown) {
  ASSERT_TRUE(supervisor.start(testSpec("fallen", dir, {"/bin/sleep", "1000"})));
  auto started = recorder.waitFor(Kind::Started, "fallen");
  ASSERT_TRUE(started);
  ASSERT_TRUE(supervisor.setRole("fallen", masterFor(60s, 4), runningPid(supervisor, "fallen")));
  kill(started->pid, SIGKILL);
  ASSERT_TRUE(recorder.waitFor(Kind::Exited, "fallen"));
  auto read = services::readRoleFile(dir.file("fallen.role.json"));
  ASSERT_TRUE(read);
  EXPECT_EQ(read->role, services::Role::Unknown) << "a dead process is nobody's master";
}

TEST(RoleParse, AcceptsValidLinesAndRefusesGarbage) {
  std::string error;
  auto parsed = services::parseRole(
      R"( {"extra":[1,{"a":"}"}],"role":"secondary","epoch":12,"leaseUntilMonoNs":0,)"
      R"("masterPeer":{"host":"h\"1","n":null}, "future":true} )",
      &error);
  ASSERT_TRUE(parsed) << error;
  EXPECT_EQ(parsed->role, services::Role::Secondary);
  EXPECT_EQ(parsed->epoch, 12);
  EXPECT_EQ(parsed->masterPeerJson, R"({"host":"h\"1","n":null})");
  auto newer = services::parseRole(R"({"role":"observer"})");
  ASSERT_TRUE(newer);
  EXPECT_EQ(newer->role, services::Role::Unknown) << "an unknown role name is never master";

  for (const char* bad :
       {"", "garbage", "{", R"({"epoch":1})", R"({"role":"master","epoch":1.5})",
        R"({"role":"master","leaseUntilMonoNs":-1})", R"({"role":"master"} trailing)",
        R"({"role":"master","masterPeer":"x"})", R"({"role":master})"}) {
    EXPECT_FALSE(services::parseRole(bad)) << bad;
    sm_role_info info{};
    EXPECT_EQ(sm_role_parse(bad, std::strlen(bad), &info), SM_ROLE_ERR_PARSE) << bad;
  }
  sm_role_info info{};
  EXPECT_EQ(sm_role_read("/nonexistent/role.json", &info), SM_ROLE_ERR_IO);
}

// masterPeer's address and endpoints, through both APIs: what a replica connects to.
TEST(RoleParse, ReadsTheMastersAddressAndEndpoints) {
  const std::string line =
      R"({"role":"secondary","epoch":4,"leaseUntilMonoNs":0,"masterPeer":{"uuid":"u","host":"h2",)"
      R"("address":"10.0.0.6","pid":7,"ports":{"http":41234,"admin":9},)"
      R"("endpoints":{"http":"10.0.0.6:41234","admin":"10.0.0.6:9","odd":5}}})";
  auto parsed = services::parseRole(line);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->masterAddress, "10.0.0.6");
  EXPECT_EQ(services::masterEndpoint(*parsed, "http"), "10.0.0.6:41234");
  EXPECT_EQ(services::masterEndpoint(*parsed, "admin"), "10.0.0.6:9");
  EXPECT_EQ(services::masterEndpoint(*parsed, "odd"), "") << "a non-string endpoint is skipped";
  EXPECT_EQ(services::masterEndpoint(*parsed, "none"), "");

  sm_role_info info{};
  ASSERT_EQ(sm_role_parse(line.data(), line.size(), &info), SM_ROLE_OK);
  EXPECT_STREQ(info.master_address, "10.0.0.6");
  char endpoint[64];
  ASSERT_EQ(sm_role_master_endpoint(&info, "http", endpoint, sizeof endpoint), 0);
  EXPECT_STREQ(endpoint, "10.0.0.6:41234");
  EXPECT_EQ(sm_role_master_endpoint(&info, "none", endpoint, sizeof endpoint), -1);
  EXPECT_STREQ(endpoint, "");
  char tiny[8];
  EXPECT_EQ(sm_role_master_endpoint(&info, "http", tiny, sizeof tiny), -1) << "does not fit";

  // A file without a master (a fresh process) has neither.
  auto fresh = services::parseRole(R"({"role":"unknown","masterPeer":{}})");
  ASSERT_TRUE(fresh);
  EXPECT_EQ(fresh->masterAddress, "");
  EXPECT_TRUE(fresh->masterEndpoints.empty());
}

class DemoServiceRole : public SupervisedTest {
 protected:
  // The demo service with polling off (--poll-ms 0): it can learn of a change only by the notice.
  ProcessSpec demoSpec(const std::string& id) {
    auto spec = testSpec(id, dir, {demoServicePath(), "--poll-ms", "0"});
    spec.ports = {"http"};
    return spec;
  }
  int startAndWaitForPort(const ProcessSpec& spec) {
    EXPECT_TRUE(supervisor.start(spec));
    int port = supervisor.status(spec.instanceId)->ports.at("http");
    EXPECT_TRUE(waitFor([&] { return demoRole(port).is_object(); }, 5s))
        << "the demo service answers on SM_PORT_HTTP";
    return port;
  }
  // True when the service serves `role` and says it learned of it `via`.
  bool serves(int port, const std::string& role, const std::string& via) {
    return waitFor(
        [&] {
          auto json = demoRole(port);
          return json.is_object() && json["role"] == role && json["lastChangeVia"] == via;
        },
        5s);
  }
};

TEST_F(DemoServiceRole, LearnsOfARoleChangeThroughTheNoticeSignal) {
  auto spec = demoSpec("signalled");
  spec.roleNotice.kind = RoleNoticeSpec::Kind::Signal;
  spec.roleNotice.signal = SIGUSR1;
  int port = startAndWaitForPort(spec);
  EXPECT_EQ(demoRole(port)["role"], "unknown");

  ASSERT_TRUE(supervisor.setRole("signalled", masterFor(60s, 1), runningPid(supervisor, "signalled")));
  auto notice = recorder.waitFor(Kind::RoleNoticeSent, "signalled");
  ASSERT_TRUE(notice);
  EXPECT_NE(notice->message.find("USR1"), std::string::npos) << notice->message;
  ASSERT_TRUE(serves(port, "master", "signal"));
  EXPECT_EQ(demoRole(port)["masterPeer"]["host"], "host-a");

  RoleState secondary;
  secondary.role = Role::Secondary;
  secondary.epoch = 2;
  ASSERT_TRUE(supervisor.setRole("signalled", secondary));
  ASSERT_TRUE(serves(port, "secondary", "signal"));
  EXPECT_EQ(demoRole(port)["epoch"], 2);
  ASSERT_TRUE(waitFor(
      [&] {
        std::string log = readFile(dir.file("signalled.stdout.log"));
        return log.find("role change: unknown -> master epoch=1 via=signal") != std::string::npos &&
               log.find("role change: master -> secondary epoch=2 via=signal") != std::string::npos;
      },
      5s))
      << readFile(dir.file("signalled.stdout.log"));
}

TEST_F(DemoServiceRole, LearnsOfARoleChangeThroughTheExecHook) {
  auto spec = demoSpec("hooked");
  spec.roleNotice.kind = RoleNoticeSpec::Kind::Exec;
  spec.roleNotice.execArgv = {demoServicePath(), "--notify"};
  int port = startAndWaitForPort(spec);

  ASSERT_TRUE(supervisor.setRole("hooked", masterFor(60s, 5), runningPid(supervisor, "hooked")));
  auto notice = recorder.waitFor(Kind::RoleNoticeSent, "hooked");
  ASSERT_TRUE(notice);
  EXPECT_NE(notice->message.find("master"), std::string::npos) << notice->message;
  ASSERT_TRUE(serves(port, "master", "hook"));
  EXPECT_EQ(demoRole(port)["epoch"], 5);
  EXPECT_NE(readFile(dir.file("hooked.stdout.log"))
                .find("role change: unknown -> master epoch=5 via=hook"),
            std::string::npos);
}

TEST_F(DemoServiceRole, ALeaseRenewalRewritesTheFileWithoutANotice) {
  auto spec = demoSpec("renewed");
  spec.roleNotice.kind = RoleNoticeSpec::Kind::Signal;
  startAndWaitForPort(spec);
  ASSERT_TRUE(supervisor.setRole("renewed", masterFor(10s, 1), runningPid(supervisor, "renewed")));
  ASSERT_EQ(recorder.count(Kind::RoleNoticeSent, "renewed"), 1)
      << "a signal notice is sent within setRole";
  auto renewal = masterFor(20s, 1);
  ASSERT_TRUE(supervisor.setRole("renewed", renewal, runningPid(supervisor, "renewed")));
  EXPECT_EQ(recorder.count(Kind::RoleNoticeSent, "renewed"), 1);
  EXPECT_EQ(services::readRoleFile(dir.file("renewed.role.json"))->leaseUntilMonoNs,
            renewal.leaseUntilMonoNs);
}

TEST_F(DemoServiceRole, StopsActingAsMasterWhenTheLeaseRunsOut) {
  auto spec = demoSpec("lease");
  spec.roleNotice.kind = RoleNoticeSpec::Kind::Signal;
  int port = startAndWaitForPort(spec);
  ASSERT_TRUE(supervisor.setRole("lease", masterFor(1500ms, 9), runningPid(supervisor, "lease")));
  ASSERT_TRUE(serves(port, "master", "signal"));
  // No renewal comes: the service drops mastership by itself, on its own monotonic clock.
  ASSERT_TRUE(serves(port, "unknown", "lease-expired"));
  auto json = demoRole(port);
  EXPECT_EQ(json["fileRole"], "master");
  EXPECT_EQ(json["leaseValid"], false);
}

// A secondary reaches its master at the role file's masterPeer endpoint, as a replica would: the
// demo service's MASTER request connects there and relays the master's own answer.
TEST_F(DemoServiceRole, ASecondaryReachesItsMasterAtTheRoleFilesEndpoint) {
  auto masterSpec = demoSpec("leader");
  masterSpec.roleNotice.kind = RoleNoticeSpec::Kind::Signal;
  auto secondarySpec = demoSpec("follower");
  secondarySpec.roleNotice.kind = RoleNoticeSpec::Kind::Signal;
  const int masterPort = startAndWaitForPort(masterSpec);
  const int secondaryPort = startAndWaitForPort(secondarySpec);
  auto master = masterFor(60s, 3);
  const std::string endpoint = "127.0.0.1:" + std::to_string(masterPort);
  master.masterPeer = {{"uuid", "leader"},
                       {"host", "host-a"},
                       {"address", "127.0.0.1"},
                       {"ports", {{"http", masterPort}}},
                       {"endpoints", {{"http", endpoint}}}};
  ASSERT_TRUE(supervisor.setRole("leader", master, runningPid(supervisor, "leader")));
  RoleState secondary;
  secondary.role = Role::Secondary;
  secondary.epoch = 3;
  secondary.masterPeer = master.masterPeer;
  ASSERT_TRUE(supervisor.setRole("follower", secondary));
  ASSERT_TRUE(serves(masterPort, "master", "signal"));
  ASSERT_TRUE(serves(secondaryPort, "secondary", "signal"));
  EXPECT_EQ(demoRole(secondaryPort)["masterEndpoint"], endpoint);

  auto answer = nlohmann::json::parse(askLoopback(secondaryPort, "MASTER\n"), nullptr, false);
  ASSERT_TRUE(answer.is_object()) << askLoopback(secondaryPort, "MASTER\n");
  EXPECT_EQ(answer["endpoint"], endpoint);
  EXPECT_EQ(answer["master"]["role"], "master");
  EXPECT_EQ(answer["master"]["pid"], runningPid(supervisor, "leader")) << answer.dump();
  EXPECT_EQ(answer["master"]["epoch"], 3);
  EXPECT_TRUE(waitFor(
      [&] {
        return readFile(dir.file("follower.stdout.log"))
                   .find("-> secondary epoch=3 via=signal master=" + endpoint) != std::string::npos;
      },
      5s))
      << readFile(dir.file("follower.stdout.log"));

  // The master itself has no master to ask.
  master.masterPeer = nlohmann::json::object();
  ASSERT_TRUE(supervisor.setRole("leader", master, runningPid(supervisor, "leader")));
  ASSERT_TRUE(waitFor([&] { return demoRole(masterPort)["masterEndpoint"] == ""; }, 5s));
  EXPECT_EQ(askLoopback(masterPort, "MASTER\n").rfind("ERR", 0), 0u);
}

TEST_F(DemoServiceRole, AHookThatHangsIsKilledAtItsTimeout) {
  std::string hook = writeScript(dir, "slow-hook.sh", "exec sleep 1000");
  auto spec = testSpec("slowhook", dir, {"/bin/sleep", "1000"});
  spec.roleNotice.kind = RoleNoticeSpec::Kind::Exec;
  spec.roleNotice.execArgv = {hook};
  spec.roleNotice.execTimeoutMs = 200;
  ASSERT_TRUE(supervisor.start(spec));
  ASSERT_TRUE(supervisor.setRole("slowhook", masterFor(60s, 1), runningPid(supervisor, "slowhook")));
  auto failed = recorder.waitFor(Kind::RoleNoticeFailed, "slowhook");
  ASSERT_TRUE(failed);
  EXPECT_NE(failed->message.find("timed out"), std::string::npos) << failed->message;
}

}  // namespace
}  // namespace sm::supervisor

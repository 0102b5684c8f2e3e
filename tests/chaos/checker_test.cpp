// The checker must be able to fail: without any daemon, the test itself plays a broken one (it
// starts demo processes, writes their role files and registers them in the tree) and every kind of
// violation the chaos suite relies on must be reported.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "config/election_data.hpp"
#include "config/physical_service_data.hpp"
#include "manager/zkserver/free_port.hpp"
#include "manager/zkserver/local_zookeeper.hpp"
#include "services/role.hpp"
#include "tests/chaos/checker.hpp"
#include "tests/ctl/ctl_runner.hpp"
#include "tests/daemon/support/daemon_process.hpp"
#include "tests/support/wait_for.hpp"

namespace sm::test::chaos {
namespace {

using std::chrono::milliseconds;

// A demo process as a daemon would start it (same environment), owned by this test's PID.
pid_t startDemo(const std::string& zroot, const std::string& host, const std::string& uuid,
                const std::filesystem::path& roleFile) {
  std::vector<std::string> env = {
      "SM_ZROOT=" + zroot,
      "SM_SERVICE_TYPE=Alpha",
      "SM_LOGICAL_SERVICE=logicalService0000000000",
      "SM_PHYSICAL_ID=" + uuid,
      "SM_HOST_ID=" + host,
      "SM_ROLE_FILE=" + roleFile.string(),
      fmt::format("SM_PORT_HTTP={}", zkserver::freeLoopbackPort()),
  };
  std::vector<char*> envp;
  for (auto& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::string program = SM_DEMO_SERVICE;
  char* argv[] = {program.data(), nullptr};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::execve(argv[0], argv, envp.data());
    ::_exit(127);
  }
  return pid;
}

void writeMasterRole(const std::filesystem::path& file, const std::string& uuid, pid_t pid,
                     std::int64_t epoch) {
  const auto lease = services::monotonicNowNs() + 60'000'000'000ULL;
  writeFile(file, fmt::format(R"({{"role":"master","epoch":{},"leaseUntilMonoNs":{},)"
                              R"("masterPeer":{{"uuid":"{}","host":"h2","pid":{},"ports":{{}}}}}})",
                              epoch, lease, uuid, pid));
}

TEST(ChaosChecker, ReportsEveryKindOfViolation) {
  zkserver::LocalZooKeeper server;
  zk::SessionOptions sessionOptions;
  sessionOptions.hosts = server.connectString();
  auto admin = zk::Session::connect(sessionOptions);
  auto daemonSession = zk::Session::connect(sessionOptions);  // plays h2's daemon
  auto foreign = zk::Session::connect(sessionOptions);        // a session no daemon owns

  const std::string zroot = fmt::format("/chaos-checker-{}", ::getpid());
  const auto dir = std::filesystem::path(SM_DAEMON_RUN_DIR) / zroot.substr(1);
  std::filesystem::create_directories(dir / "h1" / "instances");
  std::filesystem::create_directories(dir / "h2" / "instances");
  const config::Layout layout(zroot);
  const config::LogicalServiceId logical{"Alpha", 0};
  admin->ensurePath(layout.physicalServicesDir(logical));
  admin->ensurePath(layout.electionDir(logical));

  const std::string u1 = "11111111-1111-4111-8111-111111111111";
  const std::string u2 = "22222222-2222-4222-8222-222222222222";
  const std::string u3 = "33333333-3333-4333-8333-333333333333";
  const std::string u4 = "44444444-4444-4444-8444-444444444444";
  const std::string u5 = "55555555-5555-4555-8555-555555555555";
  const std::string u6 = "66666666-6666-4666-8666-666666666666";
  // u1 and u2: registered by "h2" on one host (maxPerHost 1), both told master.
  const auto role1 = dir / "h2" / "instances" / (u1 + ".role.json");
  const auto role2 = dir / "h2" / "instances" / (u2 + ".role.json");
  const pid_t p1 = startDemo(zroot, "h2", u1, role1);
  const pid_t p2 = startDemo(zroot, "h2", u2, role2);
  // u3: runs on "h1", whose daemon is dead, and is registered nowhere.
  const pid_t p3 = startDemo(zroot, "h1", u3, dir / "h1" / "instances" / (u3 + ".role.json"));
  // A second process of u1's identity, on "h1": two live processes of one identity.
  const pid_t p7 = startDemo(zroot, "h1", u1, dir / "h1" / "instances" / (u1 + ".role.json"));
  writeMasterRole(role1, u1, p1, 1);
  writeMasterRole(role2, u2, p2, 2);
  auto registerInstance = [&](zk::Session& owner, const std::string& uuid, std::int64_t pid,
                              config::PhysicalState state = config::PhysicalState::Running) {
    config::PhysicalServiceData data;
    data.host = "h2";
    data.pid = pid;
    data.state = state;
    owner.create(layout.physicalService({logical, uuid}), config::encodePhysicalServiceData(data),
                 zk::CreateMode::Ephemeral);
  };
  registerInstance(*daemonSession, u1, p1);
  registerInstance(*daemonSession, u2, p2);
  registerInstance(*daemonSession, u4, 999999999);  // a process that is gone: a ghost
  // Restarting in place (pid 0): no process on purpose. Not a ghost while the daemon's live session
  // owns it; a ghost when another session does.
  registerInstance(*daemonSession, u5, 0, config::PhysicalState::Restarting);
  registerInstance(*foreign, u6, 0, config::PhysicalState::Restarting);
  foreign->create(layout.electionMemberPrefix({logical, u1}),
                  config::encodeElectionData({u1, "h2"}), zk::CreateMode::EphemeralSequential);

  CheckerOptions options;
  options.zroot = zroot;
  options.demoBinary = SM_DEMO_SERVICE;
  options.types = {{"Alpha", 1, 3, 1, false}};
  options.orphanGrace = milliseconds(300);
  options.unregisteredGrace = milliseconds(300);
  options.ghostGrace = milliseconds(300);
  const auto h2Session = daemonSession->id();
  options.hosts = [&] {
    HostState h1{"h1", 999999999, false, false, std::nullopt, dir / "h1"};
    HostState h2{"h2", ::getpid(), true, false, h2Session, dir / "h2"};
    return std::vector<HostState>{h1, h2};
  };
  Checker checker(admin, options);
  const std::set<std::string> expected = {"two-masters", "constraint",    "orphan",
                                          "unregistered", "ghost",         "two-processes"};
  std::set<std::string> seen;
  std::string ghosts;
  // u5 and u6 are judged in the same tree reads: once u6 is a ghost, u5 would have been one too.
  waitFor(
      [&] {
        seen.clear();
        ghosts.clear();
        for (const auto& v : checker.violations()) {
          seen.insert(v.kind);
          if (v.kind == "ghost") ghosts += v.what + "\n";
        }
        return std::includes(seen.begin(), seen.end(), expected.begin(), expected.end()) &&
               ghosts.find(layout.physicalService({logical, u6})) != std::string::npos;
      },
      milliseconds(15000), milliseconds(20));
  checker.stop();
  for (const auto& kind : expected) EXPECT_TRUE(seen.count(kind)) << "not reported: " << kind;
  EXPECT_NE(ghosts.find(layout.physicalService({logical, u4})), std::string::npos) << ghosts;
  EXPECT_NE(ghosts.find(layout.physicalService({logical, u6})), std::string::npos) << ghosts;
  EXPECT_EQ(ghosts.find(layout.physicalService({logical, u5})), std::string::npos) << ghosts;
  EXPECT_NE(ghosts.find(layout.electionMemberPrefix({logical, u1})), std::string::npos) << ghosts;
  EXPECT_FALSE(checker.convergenceProblem().empty());

  for (pid_t pid : {p1, p2, p3, p7}) {
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
  }
  admin->removeRecursive(zroot);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace sm::test::chaos

#include "tests/hosts/support/hosts_cluster.hpp"

#include <signal.h>
#include <sys/prctl.h>

#include <atomic>
#include <cstdlib>
#include <iostream>
#include <set>

#include <fmt/format.h>

#include "tests/daemon/support/state_dump.hpp"
#include "tests/support/wait_for.hpp"

namespace sm::test {

using std::chrono::milliseconds;

void HostsTest::SetUpTestSuite() {
  // Processes orphaned by a dying daemon come to us, and die with us (PR_SET_PDEATHSIG).
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
}

void HostsTest::SetUp() {
  if (auto reason = HostNetwork::unavailableReason(); !reason.empty()) {
    GTEST_SKIP() << "multi-host tests skipped: " << reason;
  }
  static std::atomic<int> counter{0};
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const auto name = fmt::format("hosts-{}.{}-{}", info->test_suite_name(), info->name(), counter++);
  zroot_ = "/" + name;
  testDir_ = std::filesystem::path(SM_DAEMON_RUN_DIR) / name;
  std::filesystem::remove_all(testDir_);
  std::filesystem::create_directories(testDir_);
  network_ = std::make_unique<HostNetwork>();
}

void HostsTest::TearDown() {
  if (!network_) return;  // skipped
  // Healed first: a daemon that cannot reach ZooKeeper would spend its stop timeout on it.
  for (const auto& id : hostIds_) network_->heal(network_->host(id));
  if (zk_) {
    for (std::size_t i = 0; i < zk_->size(); ++i) network_->heal(zk_->host(i));
  }
  const bool failed = HasFailure();
  stopDaemons();
  if (failed) {
    for (const auto& d : daemons_) {
      std::cout << "----- " << d->hostId() << " (pid " << d->pid() << ") " << d->logFile().string()
                << ", last lines:\n"
                << d->logTail(60) << "\n";
    }
    std::cout << "----- files of this test kept in " << testDir_.string() << "\n";
  }
  daemons_.clear();
  session_.reset();
  zk_.reset();
  network_.reset();
  EXPECT_TRUE(HostNetwork::leftovers().empty())
      << "left behind: " << fmt::format("{}", fmt::join(HostNetwork::leftovers(), ", "));
  if (!failed && std::getenv("SM_KEEP_TEST_FILES") == nullptr) {
    std::error_code ignored;
    std::filesystem::remove_all(testDir_, ignored);
  }
}

void HostsTest::stopDaemons() {
  for (auto& d : daemons_) {
    if (d->running()) {
      d->signal(SIGCONT);
      d->signal(SIGTERM);
    }
  }
  for (auto& d : daemons_) {
    if (d->exitCode()) continue;
    if (!d->waitExit(milliseconds(15000))) {
      ADD_FAILURE() << "daemon " << d->hostId() << " (pid " << d->pid()
                    << ") did not exit within 15 s of SIGTERM: killed";
      d->kill();
    }
  }
  // A managed process of a dead daemon gets its PR_SET_PDEATHSIG asynchronously.
  std::set<pid_t> owned;
  if (zk_) {
    for (std::size_t i = 0; i < zk_->size(); ++i) owned.insert(zk_->server(i).pid());
  }
  auto strays = [&] {
    std::vector<pid_t> result;
    for (pid_t pid : childrenOfThisProcess()) {
      if (!owned.count(pid)) result.push_back(pid);
    }
    return result;
  };
  waitFor([&] { return noneAlive(strays()); }, milliseconds(5000), milliseconds(10));
  for (pid_t pid : strays()) {
    if (pidAlive(pid)) {
      ADD_FAILURE() << "process left running after its daemon ended: pid " << pid << ": "
                    << processCommandLine(pid) << "; killed";
      ::kill(pid, SIGKILL);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
  }
}

void HostsTest::startZooKeeper(std::size_t servers) {
  zk_ = std::make_unique<NamespacedZooKeeper>(*network_, servers);
  zk::SessionOptions options;
  options.hosts = zk_->connectString();
  // Long: the test's own reads must outlive the partitions it makes.
  options.sessionTimeout = milliseconds(20000);
  options.connectTimeout = milliseconds(20000);
  session_ = zk::Session::connect(options);
  session_->create(zroot_, "");
}

const NetHost& HostsTest::addHost(const std::string& hostId) {
  const int number = std::stoi(hostId.substr(1));  // h1 -> 127.100.0.11
  return network_->addHost(hostId, 10 + number);
}

DaemonOptions HostsTest::daemonOptions(const std::string& hostId) const {
  DaemonOptions o;
  o.zk = zk_->connectString();
  o.root = zroot_;
  o.hostId = hostId;
  o.workDir = testDir_ / hostId;
  o.sessionTimeoutMs = kSessionTimeoutMs;
  o.netns = network_->host(hostId).netns;
  o.extraArgs = {"--address", network_->host(hostId).address};
  return o;
}

DaemonProcess& HostsTest::startDaemon(const std::string& hostId) {
  daemons_.push_back(std::make_unique<DaemonProcess>(daemonOptions(hostId)));
  auto& d = *daemons_.back();
  if (std::find(hostIds_.begin(), hostIds_.end(), hostId) == hostIds_.end()) {
    hostIds_.push_back(hostId);
  }
  const auto hostPath = layout().host(hostId);
  const bool ready = waitFor(
      [&] {
        if (!d.running()) return false;
        auto stat = session_->exists(hostPath);
        return stat && stat->ephemeralOwner != 0;
      },
      milliseconds(20000), milliseconds(20));
  EXPECT_TRUE(ready) << "daemon " << hostId << " did not register " << hostPath << ":\n"
                     << d.logTail();
  return d;
}

void HostsTest::startHosts(const std::vector<std::string>& hostIds) {
  for (const auto& id : hostIds) addHost(id);
  for (const auto& id : hostIds) startDaemon(id);
}

DaemonProcess& HostsTest::daemon(const std::string& hostId) {
  for (auto it = daemons_.rbegin(); it != daemons_.rend(); ++it) {
    if ((*it)->hostId() == hostId) return **it;
  }
  throw std::invalid_argument("no daemon " + hostId);
}

DemoType HostsTest::spreadDemo(int replicas) {
  DemoType demo;
  demo.replicas = replicas;
  demo.constraints = "    maxPerHost: 1\n";
  demo.commandArgs = R"("--listen", "0.0.0.0")";
  return demo;
}

CtlResult HostsTest::ctl(const std::vector<std::string>& args) {
  std::vector<std::string> all = {"--zk", zk_->connectString(), "--root", zroot_};
  all.insert(all.end(), args.begin(), args.end());
  return runCtl(all);
}

void HostsTest::apply(const DemoType& type) {
  const auto file = testDir_ / fmt::format("apply-{}.yaml", files_++);
  writeFile(file, type.yaml());
  auto result = ctl({"apply", "-f", file.string()});
  EXPECT_EQ(result.exitCode, 0) << "servicesctl apply failed:\n" << result.out << result.err;
}

TreeSnapshot HostsTest::snapshot() {
  return readTree(*session_, layout());
}

std::filesystem::path HostsTest::roleFile(const std::string& hostId,
                                          const std::string& uuid) const {
  return testDir_ / hostId / "instances" / (uuid + ".role.json");
}

std::filesystem::path HostsTest::peersFile(const std::string& hostId,
                                           const std::string& uuid) const {
  return testDir_ / hostId / "instances" / (uuid + ".peers");
}

std::optional<services::RoleInfo> HostsTest::readRole(const std::string& hostId,
                                                      const std::string& uuid) {
  return services::readRoleFile(roleFile(hostId, uuid).string());
}

std::string HostsTest::convergenceProblem(const TreeSnapshot& tree, const std::string& typeName,
                                          int replicas) {
  const TypeInfo* type = tree.type(typeName);
  if (type == nullptr) return "type " + typeName + " is not in the tree";
  if (type->logical.size() != 1) return fmt::format("{} logical services", type->logical.size());
  const auto& logical = type->logical.begin()->second;
  std::set<std::string> hostsUsed;
  for (const auto& [uuid, i] : logical.instances) {
    if (i.state != "running") return uuid + " is " + i.state;
    hostsUsed.insert(i.host);
  }
  if (static_cast<int>(hostsUsed.size()) != replicas ||
      static_cast<int>(logical.instances.size()) != replicas) {
    return fmt::format("{} instances on {} hosts, want {}", logical.instances.size(),
                       hostsUsed.size(), replicas);
  }
  if (static_cast<int>(logical.election.size()) != replicas) {
    return fmt::format("{} election members, want {}", logical.election.size(), replicas);
  }
  const auto* masterEntry = logical.masterEntry();
  for (const auto& [uuid, i] : logical.instances) {
    auto role = readRole(i.host, uuid);
    if (!role) return "no readable role file for " + uuid;
    const auto effective = services::effectiveRole(*role);
    const auto want =
        uuid == masterEntry->physical ? services::Role::Master : services::Role::Secondary;
    if (effective != want || role->epoch != masterEntry->sequence) {
      return fmt::format("{} on {}: role {} epoch {}, want {} epoch {}", uuid, i.host,
                         services::roleName(effective), role->epoch, services::roleName(want),
                         masterEntry->sequence);
    }
  }
  return "";
}

bool HostsTest::waitConverged(const std::string& type, int replicas, milliseconds timeout) {
  std::string problem;
  const bool ok = waitFor(
      [&] {
        try {
          problem = convergenceProblem(snapshot(), type, replicas);
        } catch (const std::exception& e) {
          problem = std::string("cannot read the tree: ") + e.what();
        }
        return problem.empty();
      },
      timeout, milliseconds(20));
  if (!ok) {
    ADD_FAILURE() << fmt::format("{} did not converge to {} replicas within {} ms: {}\n", type,
                                 replicas, timeout.count(), problem)
                  << stateDump();
  }
  return ok;
}

std::string HostsTest::stateDump() {
  return test::stateDump([this] { return snapshot(); },
                         [this](const std::string& host, const std::string& uuid) {
                           return roleFile(host, uuid);
                         });
}

std::unique_ptr<MasterSampler> HostsTest::startSampler() {
  zk::SessionOptions options;
  options.hosts = zk_->connectString();
  options.sessionTimeout = milliseconds(20000);
  options.connectTimeout = milliseconds(20000);
  std::vector<std::filesystem::path> dirs;
  for (const auto& id : hostIds_) dirs.push_back(testDir_ / id);
  return std::make_unique<MasterSampler>(zk::Session::connect(options), layout(), dirs);
}

}  // namespace sm::test

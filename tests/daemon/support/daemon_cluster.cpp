#include "tests/daemon/support/daemon_cluster.hpp"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <unistd.h>

#include <iostream>
#include <map>
#include <set>

#include <fmt/format.h>

#include "tests/daemon/support/state_dump.hpp"
#include "tests/support/wait_for.hpp"
#include "manager/zk/error.hpp"

namespace sm::test {

namespace {

using std::chrono::milliseconds;

// Children of this process that are neither the ZooKeeper server nor a daemon we still own: as a
// child subreaper, the test inherits every process whose parent (a daemon) died.
std::vector<pid_t> strayChildren(const std::set<pid_t>& owned) {
  std::vector<pid_t> result;
  for (pid_t pid : childrenOfThisProcess()) {
    if (!owned.count(pid)) result.push_back(pid);
  }
  return result;
}

}  // namespace

void DaemonTest::SetUpTestSuite() {
  ZooKeeperTest::SetUpTestSuite();
  // Processes orphaned by a dying daemon come to us, so that a test can see and stop them.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
}

void DaemonTest::putDemoServiceOnPath() {
  const auto demoDir = std::filesystem::path(SM_DEMO_SERVICE).parent_path().string();
  const char* path = ::getenv("PATH");
  ::setenv("PATH", (demoDir + ":" + (path ? path : "/usr/bin:/bin")).c_str(), 1);
}

void DaemonTest::SetUp() {
  ZooKeeperTest::SetUp();
  zroot_ = root();
  testDir_ = std::filesystem::path(SM_DAEMON_RUN_DIR) / root().substr(1);
  std::filesystem::remove_all(testDir_);
  std::filesystem::create_directories(testDir_);
}

bool DaemonTest::startDaemonsAndConverge(const DemoType& type, milliseconds timeout,
                                         bool distinctHosts) {
  startDaemons();
  if (HasFailure()) return false;  // startDaemons() said why
  apply(type);
  return waitConverged(type.name, type.services, type.replicas, timeout, distinctHosts);
}

bool DaemonTest::startSpreadDemo(int services) {
  DemoType demo;
  demo.services = services;
  demo.replicas = 3;
  demo.constraints = "    maxPerHost: 1\n";
  return startDaemonsAndConverge(demo, milliseconds(15000), /*distinctHosts=*/true);
}

void DaemonTest::useRoot(const std::string& zroot) {
  zroot_ = zroot;
}

void DaemonTest::TearDown() {
  stopEverything();
  checkOrphans();
  if (HasFailure()) {
    for (const auto& d : daemons_) {
      std::cout << "----- " << d->hostId() << " (pid " << d->pid() << ", exit "
                << (d->exitCode() ? std::to_string(*d->exitCode()) : "?") << ") "
                << d->logFile().string() << ", last lines:\n"
                << d->logTail(80) << "\n";
    }
    std::cout << "----- files of this test kept in " << testDir_.string() << "\n";
  }
  daemons_.clear();
  if (zroot_ != root() && session_ && session_->usable()) session_->removeRecursive(zroot_);
  ZooKeeperTest::TearDown();
  if (!HasFailure()) {
    std::error_code ignored;
    std::filesystem::remove_all(testDir_, ignored);
  }
}

void DaemonTest::stopEverything() {
  for (auto& d : daemons_) {
    if (d->running()) {
      d->signal(SIGCONT);  // a frozen daemon cannot act on SIGTERM
      d->signal(SIGTERM);
    }
  }
  for (auto& d : daemons_) {
    if (d->exitCode()) continue;
    auto code = d->waitExit(milliseconds(15000));
    if (!code) {
      ADD_FAILURE() << "daemon " << d->hostId() << " (pid " << d->pid()
                    << ") did not exit within 15 s of SIGTERM at the end of the test: killed";
      d->kill();
    } else if (*code != 0) {
      ADD_FAILURE() << "daemon " << d->hostId() << " (pid " << d->pid() << ") exited with " << *code
                    << " after SIGTERM at the end of the test";
    }
  }
}

void DaemonTest::checkOrphans() {
  std::set<pid_t> owned = {server().pid()};
  for (auto& d : daemons_) {
    if (d->running()) owned.insert(d->pid());
  }
  // A managed process of a dead daemon gets its PR_SET_PDEATHSIG asynchronously: give it time.
  waitFor([&] { return noneAlive(strayChildren(owned)); }, milliseconds(5000), milliseconds(10));
  for (pid_t pid : strayChildren(owned)) {
    if (pidAlive(pid)) {
      ADD_FAILURE() << "process left running after its daemon ended (orphan): pid " << pid << ": "
                    << processCommandLine(pid) << "; killed by the test";
      ::kill(pid, SIGKILL);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
  }
}

DaemonOptions DaemonTest::daemonOptions(const std::string& hostId) const {
  DaemonOptions o;
  o.zk = hosts();
  o.root = zroot_;
  o.hostId = hostId;
  o.workDir = workDir(hostId);
  o.sessionTimeoutMs = 3000;
  return o;
}

std::filesystem::path DaemonTest::workDir(const std::string& hostId) const {
  return testDir_ / hostId;
}

std::vector<std::filesystem::path> DaemonTest::workDirs() const {
  std::vector<std::filesystem::path> dirs;
  for (const auto& id : hostIds_) dirs.push_back(workDir(id));
  return dirs;
}

DaemonProcess& DaemonTest::startDaemon(const DaemonOptions& options, bool waitReady) {
  // The session that registered the host before (a daemon that just stopped) must not count.
  std::optional<std::int64_t> previousOwner;
  if (waitReady) {
    if (auto stat = session_->exists(config::Layout(options.root).host(options.hostId))) {
      previousOwner = stat->ephemeralOwner;
    }
  }
  daemons_.push_back(std::make_unique<DaemonProcess>(options));
  DaemonProcess& d = *daemons_.back();
  if (std::find(hostIds_.begin(), hostIds_.end(), options.hostId) == hostIds_.end()) {
    hostIds_.push_back(options.hostId);
  }
  if (!waitReady) return d;
  const std::string hostPath = config::Layout(options.root).host(options.hostId);
  const bool ready = waitFor(
      [&] {
        if (!d.running()) return false;
        auto stat = session_->exists(hostPath);
        return stat && stat->ephemeralOwner != 0 && stat->ephemeralOwner != previousOwner;
      },
      milliseconds(15000), milliseconds(5));
  if (!ready) {
    ADD_FAILURE() << "daemon " << options.hostId << " (pid " << d.pid() << ") is not ready ("
                  << hostPath << " missing) after 15 s; "
                  << (d.running() ? "still running"
                                  : "exited with " + std::to_string(d.exitCode().value_or(-1)))
                  << "\nits log:\n"
                  << d.logTail(40);
  }
  return d;
}

void DaemonTest::startDaemons(const std::vector<std::string>& hostIds) {
  std::vector<DaemonProcess*> started;
  for (const auto& id : hostIds) started.push_back(&startDaemon(daemonOptions(id), false));
  for (auto* d : started) {
    const std::string hostPath = layout().host(d->hostId());
    const bool ready = waitFor([&] { return !d->running() || session_->exists(hostPath); },
                               milliseconds(15000), milliseconds(5)) &&
                       d->running();
    if (!ready) {
      ADD_FAILURE() << "daemon " << d->hostId() << " (pid " << d->pid() << ") is not ready ("
                    << hostPath << " missing) after 15 s\nits log:\n"
                    << d->logTail(40);
    }
  }
}

DaemonProcess& DaemonTest::daemon(const std::string& hostId) {
  for (auto it = daemons_.rbegin(); it != daemons_.rend(); ++it) {
    if ((*it)->hostId() == hostId) return **it;
  }
  throw std::logic_error("no daemon " + hostId);
}

bool DaemonTest::hostLive(const std::string& hostId) {
  try {
    return session_->exists(layout().host(hostId)).has_value();
  } catch (const zk::ZkError& e) {
    // Asked while the test's own session reconnects (a server restart): not known to be live.
    if (!e.isConnectionLoss()) throw;
    return false;
  }
}

CtlResult DaemonTest::ctl(const std::vector<std::string>& args) {
  std::vector<std::string> all = {"--zk", hosts(), "--root", zroot_};
  all.insert(all.end(), args.begin(), args.end());
  return runCtl(all);
}

void DaemonTest::apply(const std::string& yaml) {
  const auto file = testDir_ / fmt::format("apply-{}.yaml", files_++);
  writeFile(file, yaml);
  auto result = ctl({"apply", "-f", file.string()});
  EXPECT_EQ(result.exitCode, 0) << "servicesctl apply failed:\n"
                                << result.out << result.err << "\nfile:\n"
                                << yaml;
}

TreeSnapshot DaemonTest::snapshot() {
  return readTree(*session_, layout());
}

std::filesystem::path DaemonTest::roleFile(const std::string& hostId,
                                           const std::string& uuid) const {
  return workDir(hostId) / "instances" / (uuid + ".role.json");
}

std::optional<services::RoleInfo> DaemonTest::readRole(const std::string& hostId,
                                                       const std::string& uuid) {
  return services::readRoleFile(roleFile(hostId, uuid).string());
}

std::string DaemonTest::convergenceProblem(const TreeSnapshot& tree, const std::string& typeName,
                                           int services, int replicas, bool distinctHosts) {
  const TypeInfo* type = tree.type(typeName);
  if (type == nullptr) return "type " + typeName + " is not in the tree";
  if (static_cast<int>(type->logical.size()) != services) {
    return fmt::format("{} has {} logical services, want {}", typeName, type->logical.size(),
                       services);
  }
  for (const auto& [seq, logical] : type->logical) {
    const std::string key = logical.key();
    if (static_cast<int>(logical.instances.size()) != replicas) {
      return fmt::format("{} has {} instances, want {}", key, logical.instances.size(), replicas);
    }
    std::set<std::string> hostsUsed;
    for (const auto& [uuid, i] : logical.instances) {
      if (!i.decoded) return key + ": instance " + uuid + " undecodable: " + i.error;
      if (i.state != "running") return key + ": instance " + uuid + " is " + i.state;
      hostsUsed.insert(i.host);
    }
    if (distinctHosts && static_cast<int>(hostsUsed.size()) != replicas) {
      return fmt::format("{}: instances on {} distinct hosts, want {}", key, hostsUsed.size(),
                         replicas);
    }
    if (static_cast<int>(logical.election.size()) != replicas) {
      return fmt::format("{}: {} election members, want {}", key, logical.election.size(),
                         replicas);
    }
    std::set<std::string> inElection;
    for (const auto& e : logical.election) inElection.insert(e.physical);
    for (const auto& [uuid, i] : logical.instances) {
      if (!inElection.count(uuid)) return key + ": instance " + uuid + " not in the election";
    }
    const ElectionEntry* masterEntry = logical.masterEntry();
    for (const auto& [uuid, i] : logical.instances) {
      auto role = readRole(i.host, uuid);
      if (!role) return key + ": no readable role file " + roleFile(i.host, uuid).string();
      const auto effective = services::effectiveRole(*role);
      if (uuid == masterEntry->physical) {
        if (effective != services::Role::Master) {
          return fmt::format("{}: master {} on {}: role file says {} (as written: {})", key, uuid,
                             i.host, services::roleName(effective), services::roleName(role->role));
        }
        if (role->epoch != masterEntry->sequence) {
          return fmt::format("{}: master {} role file epoch {} != election sequence {}", key, uuid,
                             role->epoch, masterEntry->sequence);
        }
      } else if (effective != services::Role::Secondary) {
        return fmt::format("{}: secondary {} on {}: role file says {}", key, uuid, i.host,
                           services::roleName(effective));
      }
    }
  }
  return "";
}

bool DaemonTest::waitConverged(const std::string& type, int services, int replicas,
                               std::chrono::milliseconds timeout, bool distinctHosts) {
  std::string problem;
  const bool ok = waitFor(
      [&] {
        problem = convergenceProblem(snapshot(), type, services, replicas, distinctHosts);
        return problem.empty();
      },
      timeout, milliseconds(20));
  if (!ok) {
    ADD_FAILURE() << fmt::format("{} did not converge to {} x {} within {} ms: {}\n", type,
                                 services, replicas, timeout.count(), problem)
                  << stateDump();
  }
  return ok;
}

std::string DaemonTest::stateDump() {
  return test::stateDump([this] { return snapshot(); },
                         [this](const std::string& host, const std::string& uuid) {
                           return roleFile(host, uuid);
                         });
}

std::unique_ptr<MasterSampler> DaemonTest::startSampler() {
  return std::make_unique<MasterSampler>(connect(), layout(), workDirs());
}

void DaemonTest::expectOneMasterThroughout(MasterSampler& sampler) {
  EXPECT_GT(sampler.samples(), 10u) << "the sampler hardly ran";
  EXPECT_TRUE(sampler.violations().empty()) << "two masters of one logical service at once:\n"
                                            << sampler.report();
}

}  // namespace sm::test

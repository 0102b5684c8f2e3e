// A 3-server ensemble under three daemons: stopping any one server — a follower, then the leader —
// causes no failover at all (same processes, same master, same epoch) and never two masters; the
// cluster keeps serving changes with one server down.
#include <signal.h>
#include <sys/prctl.h>

#include <fstream>
#include <map>

#include <gtest/gtest.h>

#include "tests/ctl/ctl_runner.hpp"
#include "tests/daemon/support/daemon_process.hpp"
#include "tests/daemon/support/demo_type.hpp"
#include "tests/daemon/support/master_sampler.hpp"
#include "tests/daemon/support/tree_snapshot.hpp"
#include "services/role.hpp"
#include "tests/support/wait_for.hpp"
#include "manager/zk/error.hpp"
#include "manager/zkserver/local_zookeeper.hpp"

namespace sm::test {
namespace {

using std::chrono::milliseconds;
const std::vector<std::string> kHosts = {"h1", "h2", "h3"};

class DaemonEnsemble : public ::testing::Test {
 protected:
  void SetUp() override {
    ::prctl(PR_SET_CHILD_SUBREAPER, 1);
    ensemble_ = std::make_unique<zkserver::LocalEnsemble>(3);
    ASSERT_TRUE(ensemble_->waitQuorum(milliseconds(30000)));
    zk::SessionOptions options;
    options.hosts = ensemble_->connectString();
    options.connectTimeout = milliseconds(15000);
    session_ = zk::Session::connect(options);
    dir_ = std::filesystem::path(SM_DAEMON_RUN_DIR) / "DaemonEnsemble";
    std::filesystem::remove_all(dir_);
    for (const auto& host : kHosts) {
      DaemonOptions o;
      o.zk = ensemble_->connectString();
      o.root = kRoot;
      o.hostId = host;
      o.workDir = dir_ / host;
      o.sessionTimeoutMs = 6000;
      daemons_.push_back(std::make_unique<DaemonProcess>(o));
    }
  }
  void TearDown() override {
    for (auto& d : daemons_) d->terminate();
    daemons_.clear();
    session_.reset();
    ensemble_.reset();
  }

  // The tree read through any server that answers (one may be down).
  std::optional<TreeSnapshot> tree() {
    try {
      return readTree(*session_, config::Layout(kRoot));
    } catch (const zk::ZkError&) {
      return std::nullopt;
    }
  }
  // "" when Demo has 1 logical service of 3 running instances, each in the election, and the
  // first member's role file says master.
  std::string problem(const TreeSnapshot& t) {
    const auto* type = t.type("Demo");
    if (!type || type->logical.size() != 1) return "no logical service";
    const auto& logical = type->logical.begin()->second;
    if (logical.instances.size() != 3 || logical.election.size() != 3) return "not 3 registered";
    for (const auto& [uuid, i] : logical.instances) {
      if (i.state != "running") return uuid + " not running";
    }
    const auto* master = logical.master();
    if (!master) return "no master";
    auto role = services::readRoleFile(
        (dir_ / master->host / "instances" / (master->uuid + ".role.json")).string());
    if (!role || !services::isMasterNow(*role)) return "the master's role file does not say so";
    return "";
  }
  bool converged(milliseconds timeout) {
    std::string last;
    const bool ok = waitFor(
        [&] {
          auto t = tree();
          last = t ? problem(*t) : "tree unreadable";
          return last.empty();
        },
        timeout, milliseconds(20));
    if (!ok) ADD_FAILURE() << "not converged: " << last;
    return ok;
  }
  std::vector<std::filesystem::path> workDirs() const {
    std::vector<std::filesystem::path> dirs;
    for (const auto& host : kHosts) dirs.push_back(dir_ / host);
    return dirs;
  }

  static constexpr const char* kRoot = "/ensemble";
  std::unique_ptr<zkserver::LocalEnsemble> ensemble_;
  std::shared_ptr<zk::Session> session_;
  std::filesystem::path dir_;
  std::vector<std::unique_ptr<DaemonProcess>> daemons_;
};

TEST_F(DaemonEnsemble, LosingAnyOneServerLeaderIncludedCausesNoFailover) {
  DemoType demo;
  demo.constraints = "    maxPerHost: 1\n";
  const auto file = dir_ / "demo.yaml";
  std::ofstream(file) << demo.yaml();
  const auto applied =
      runCtl({"--zk", ensemble_->connectString(), "--root", kRoot, "apply", "-f", file.string()});
  ASSERT_EQ(applied.exitCode, 0) << applied.out << applied.err;
  ASSERT_TRUE(converged(milliseconds(30000)));
  const auto before = *tree();
  const auto& logical = before.type("Demo")->logical.begin()->second;
  const std::string master = logical.masterEntry()->physical;
  const std::int64_t epoch = logical.masterEntry()->sequence;
  std::map<std::string, std::int64_t> pids;
  for (const auto& [uuid, i] : logical.instances) pids[uuid] = i.pid;

  zk::SessionOptions samplerOptions;
  samplerOptions.hosts = ensemble_->connectString();
  MasterSampler sampler(zk::Session::connect(samplerOptions), config::Layout(kRoot), workDirs());
  const auto leader = ensemble_->leader();
  ASSERT_TRUE(leader);
  const std::size_t follower = (*leader + 1) % ensemble_->size();
  for (const std::size_t victim : {follower, *leader}) {
    ensemble_->server(victim).stop();
    ASSERT_TRUE(ensemble_->waitQuorum(milliseconds(30000)));
    // Still served with one server down: a change converges.
    const auto scaled = runCtl(
        {"--zk", ensemble_->connectString(), "--root", kRoot, "scale", "Demo", "--replicas", "3"});
    EXPECT_EQ(scaled.exitCode, 0) << scaled.err;
    EXPECT_TRUE(converged(milliseconds(30000)));
    ensemble_->restart(victim);
    ASSERT_TRUE(ensemble_->waitQuorum(milliseconds(30000)));
  }
  ASSERT_TRUE(converged(milliseconds(30000)));
  sampler.stop();

  const auto after = *tree();
  const auto& now = after.type("Demo")->logical.begin()->second;
  EXPECT_EQ(now.masterEntry()->physical, master) << "the master changed";
  EXPECT_EQ(now.masterEntry()->sequence, epoch) << "a new epoch: there was a failover";
  for (const auto& [uuid, pid] : pids) {
    ASSERT_TRUE(now.instances.count(uuid)) << uuid << " was replaced";
    EXPECT_EQ(now.instances.at(uuid).pid, pid);
  }
  EXPECT_TRUE(sampler.violations().empty()) << sampler.report();
  const auto history = sampler.masterHistory(logical.key());
  EXPECT_LE(history.size(), 1u) << "more than one master was seen:\n" << sampler.report();
  for (auto& d : daemons_) EXPECT_TRUE(d->running()) << d->hostId() << " exited";
}

}  // namespace
}  // namespace sm::test

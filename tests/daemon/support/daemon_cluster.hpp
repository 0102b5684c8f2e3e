#pragma once
// The fixture of the daemon integration tests: the binary's shared ZooKeeper server, a fresh root
// per test, `servicesmgr` daemons (h1, h2, h3 ...) as children of the test, the real `servicesctl`,
// reads of the tree and of the role files, and the checks that nothing is left running afterwards.
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/layout.hpp"
#include "services/role.hpp"
#include "tests/ctl/ctl_runner.hpp"
#include "tests/daemon/support/daemon_process.hpp"
#include "tests/daemon/support/demo_type.hpp"
#include "tests/daemon/support/master_sampler.hpp"
#include "tests/daemon/support/tree_snapshot.hpp"
#include "tests/support/zookeeper_fixture.hpp"

namespace sm::test {

class DaemonTest : public ZooKeeperTest {
 public:
  static void SetUpTestSuite();
  // Puts sm-demo-service's folder first on this process's PATH, which the daemons inherit: for
  // example files that name their program "sm-demo-service", as a user's would.
  static void putDemoServiceOnPath();

 protected:
  void SetUp() override;
  void TearDown() override;

  // The federation root the daemons and servicesctl use: the fixture's root unless useRoot() chose
  // another one (before any daemon starts); it is removed after the test either way.
  const std::string& zroot() const { return zroot_; }
  void useRoot(const std::string& zroot);
  config::Layout layout() const { return config::Layout(zroot_); }

  // Options for a daemon of this test (its own work dir per host id, session timeout 3 s).
  DaemonOptions daemonOptions(const std::string& hostId) const;
  // Starts a daemon; with `waitReady`, waits (15 s) for hosts/<id> and fails the test if it does
  // not appear.
  DaemonProcess& startDaemon(const DaemonOptions& options, bool waitReady = true);
  DaemonProcess& startDaemon(const std::string& hostId) {
    return startDaemon(daemonOptions(hostId));
  }
  void startDaemons(const std::vector<std::string>& hostIds = {"h1", "h2", "h3"});
  // The last daemon started with this host id.
  DaemonProcess& daemon(const std::string& hostId);
  bool hostLive(const std::string& hostId);
  std::filesystem::path workDir(const std::string& hostId) const;
  std::vector<std::filesystem::path> workDirs() const;  // of every host id started so far

  CtlResult ctl(const std::vector<std::string>& args);
  // servicesctl apply -f <file with yaml>; fails the test unless it exits 0.
  void apply(const std::string& yaml);
  void apply(const DemoType& type) { apply(type.yaml()); }
  // startDaemons() (h1, h2, h3), apply(type) and waitConverged() for its services and replicas.
  // False when a daemon did not start or it did not converge (the test has failed then).
  bool startDaemonsAndConverge(const DemoType& type,
                               std::chrono::milliseconds timeout = std::chrono::milliseconds(20000),
                               bool distinctHosts = false);
  // startDaemonsAndConverge() for Demo with `services` logical services of 3 replicas and
  // maxPerHost 1, each replica on its own host within 15 s.
  bool startSpreadDemo(int services = 1);

  TreeSnapshot snapshot();
  std::filesystem::path roleFile(const std::string& hostId, const std::string& uuid) const;
  std::optional<services::RoleInfo> readRole(const std::string& hostId, const std::string& uuid);

  // Empty when `type` has exactly `services` logical services, each with `replicas` running
  // instances (on distinct hosts if asked), all of them in the election, and role files that agree
  // with the tree: the first election member's says master (lease valid) with its sequence as
  // epoch, every other one says secondary. Otherwise what is wrong.
  std::string convergenceProblem(const TreeSnapshot& tree, const std::string& type, int services,
                                 int replicas, bool distinctHosts = false);
  // Waits for convergence; on timeout fails the test with the last problem and the tree.
  bool waitConverged(const std::string& type, int services, int replicas,
                     std::chrono::milliseconds timeout = std::chrono::milliseconds(20000),
                     bool distinctHosts = false);
  // The tree and every instance's role file, for failure messages.
  std::string stateDump();

  std::unique_ptr<MasterSampler> startSampler();
  // Fails the test if the sampler saw two masters of one logical service.
  void expectOneMasterThroughout(MasterSampler& sampler);

  std::filesystem::path testDir_;  // everything of this test on disk: work dirs, YAML files
  std::vector<std::unique_ptr<DaemonProcess>> daemons_;

 private:
  void stopEverything();
  void checkOrphans();

  std::string zroot_;
  std::vector<std::string> hostIds_;
  int files_ = 0;
};

}  // namespace sm::test

#pragma once
// The fixture of the multi-host tests: a HostNetwork, ZooKeeper on its own namespaced host(s), and
// one real `servicesmgr` per namespaced host (h1 at 127.100.0.11, h2 at .12 ...), started through
// `ip netns exec` with --address set to its host's address. servicesctl, the tree reads and the
// master sampler run in the test's own namespace, over the bridge. Skips (with the reason) where
// namespaces cannot be made.
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config/layout.hpp"
#include "manager/zk/session.hpp"
#include "services/role.hpp"
#include "tests/ctl/ctl_runner.hpp"
#include "tests/daemon/support/daemon_process.hpp"
#include "tests/daemon/support/demo_type.hpp"
#include "tests/daemon/support/master_sampler.hpp"
#include "tests/daemon/support/tree_snapshot.hpp"
#include "tests/support/host_network.hpp"
#include "tests/support/namespaced_zookeeper.hpp"

namespace sm::test {

class HostsTest : public ::testing::Test {
 public:
  static void SetUpTestSuite();

  // Session timeout of the daemons: the partition bounds of docs/failure-semantics.md scale with
  // it.
  static constexpr int kSessionTimeoutMs = 3000;

 protected:
  void SetUp() override;
  void TearDown() override;

  // ZooKeeper on zk1 (standalone) or zk1..zkN (an ensemble); a session to it and a fresh root.
  void startZooKeeper(std::size_t servers = 1);
  // A namespaced host h<N> at 127.100.0.1<N>.
  const NetHost& addHost(const std::string& hostId);
  DaemonOptions daemonOptions(const std::string& hostId) const;
  // Starts the daemon of an added host and waits (20 s) for its hosts/<id>.
  DaemonProcess& startDaemon(const std::string& hostId);
  // addHost() and startDaemon() for each.
  void startHosts(const std::vector<std::string>& hostIds = {"h1", "h2", "h3"});
  DaemonProcess& daemon(const std::string& hostId);

  // The demo service on every host: listening on 0.0.0.0 of its own namespace (that is, its
  // host's address and nothing outside it), one logical service of `replicas` on distinct hosts.
  static DemoType spreadDemo(int replicas = 3);
  void apply(const DemoType& type);
  CtlResult ctl(const std::vector<std::string>& args);

  config::Layout layout() const { return config::Layout(zroot_); }
  TreeSnapshot snapshot();
  std::filesystem::path roleFile(const std::string& hostId, const std::string& uuid) const;
  std::filesystem::path peersFile(const std::string& hostId, const std::string& uuid) const;
  std::optional<services::RoleInfo> readRole(const std::string& hostId, const std::string& uuid);
  // Empty when `type` has one logical service with `replicas` running instances on distinct
  // hosts, all in the election, the first one's role file master (lease valid) with its sequence
  // as epoch and every other one secondary of that epoch; else what is wrong.
  std::string convergenceProblem(const TreeSnapshot& tree, const std::string& type, int replicas);
  bool waitConverged(const std::string& type, int replicas,
                     std::chrono::milliseconds timeout = std::chrono::milliseconds(20000));
  std::string stateDump();
  std::unique_ptr<MasterSampler> startSampler();

  std::unique_ptr<HostNetwork> network_;
  std::unique_ptr<NamespacedZooKeeper> zk_;
  std::shared_ptr<zk::Session> session_;
  std::vector<std::unique_ptr<DaemonProcess>> daemons_;
  std::filesystem::path testDir_;

 private:
  void stopDaemons();
  std::string zroot_;
  std::vector<std::string> hostIds_;
  int files_ = 0;
};

}  // namespace sm::test

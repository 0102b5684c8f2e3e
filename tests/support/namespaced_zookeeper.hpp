#pragma once
// ZooKeeper on namespaced hosts of a HostNetwork: one server (standalone) or an ensemble, each
// server on its own host zk1, zk2 ... at 127.100.0.21, .22 ..., listening on its host's address
// with the usual ports (2181, 2888, 3888: every host has its own). The servers are the Debian
// package's, run as our children by PID through `ip netns exec` (zkserver::LocalServer), in
// folders under $SM_ZK_BASE_DIR like every other server of a test run.
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "manager/zkserver/local_server.hpp"
#include "tests/support/host_network.hpp"

namespace sm::test {

class NamespacedZooKeeper {
 public:
  // Starts `servers` servers and waits until they serve (a quorum for an ensemble); throws
  // std::runtime_error with the servers' logs when they do not within 60 s.
  NamespacedZooKeeper(HostNetwork& network, std::size_t servers,
                      zkserver::LocalZooKeeperOptions options = {});
  ~NamespacedZooKeeper();  // stops every server by its PID and removes its folder
  NamespacedZooKeeper(const NamespacedZooKeeper&) = delete;
  NamespacedZooKeeper& operator=(const NamespacedZooKeeper&) = delete;

  // "127.100.0.21:2181,127.100.0.22:2181,..."
  std::string connectString() const;
  std::size_t size() const { return servers_.size(); }
  const NetHost& host(std::size_t index) const { return *hosts_.at(index); }
  zkserver::LocalServer& server(std::size_t index) { return *servers_.at(index); }
  // The index of the server whose address is in "127.100.0.2N:2181", if any.
  std::optional<std::size_t> indexOfAddress(const std::string& hostPort) const;
  // The index of the leader of an ensemble (of the one server when standalone), if one serves.
  std::optional<std::size_t> leader() const;
  // Every server not in `except` answers and one of them leads (or is standalone).
  bool waitQuorum(std::chrono::milliseconds timeout, std::optional<std::size_t> except = {}) const;

  static constexpr int kClientPort = 2181;

 private:
  std::vector<const NetHost*> hosts_;
  std::vector<std::unique_ptr<zkserver::LocalServer>> servers_;
  zkserver::LocalZooKeeperOptions options_;
};

}  // namespace sm::test

#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "manager/zkserver/local_server.hpp"

namespace sm::zkserver {

// A standalone server on a free 127.0.0.1 port, serving when the constructor returns, stopped by
// PID and its folder removed when destroyed. For tests and `servicesmgr --dev`.
class LocalZooKeeper {
 public:
  explicit LocalZooKeeper(LocalZooKeeperOptions options = {});
  ~LocalZooKeeper();
  LocalZooKeeper(const LocalZooKeeper&) = delete;
  LocalZooKeeper& operator=(const LocalZooKeeper&) = delete;

  std::string connectString() const;
  int port() const { return server_->clientPort(); }
  pid_t pid() const { return server_->pid(); }
  LocalServer& server() { return *server_; }
  // Stops and starts the same server (same port and data): sessions survive if it is quick.
  void restart();
  void stop() { server_->stop(); }

 private:
  LocalZooKeeperOptions options_;
  std::filesystem::path dir_;
  std::unique_ptr<LocalServer> server_;
};

// A three-server (or any odd size) ensemble on loopback, for fault tests: any server can be
// stopped, killed, frozen and started again, and the leader found.
class LocalEnsemble {
 public:
  explicit LocalEnsemble(size_t size = 3, LocalZooKeeperOptions options = {});
  ~LocalEnsemble();
  LocalEnsemble(const LocalEnsemble&) = delete;
  LocalEnsemble& operator=(const LocalEnsemble&) = delete;

  std::string connectString() const;
  size_t size() const { return servers_.size(); }
  LocalServer& server(size_t index) { return *servers_.at(index); }
  // The index of the server whose client port is in "127.0.0.1:port", if any.
  std::optional<size_t> indexOfAddress(const std::string& hostPort) const;
  // The index of the current leader, if one serves.
  std::optional<size_t> leader() const;
  // Starts a stopped server again and waits until it serves.
  void restart(size_t index);
  // Waits until a quorum serves (a leader and enough followers); false on timeout.
  bool waitQuorum(std::chrono::milliseconds timeout) const;

 private:
  LocalZooKeeperOptions options_;
  std::filesystem::path dir_;
  std::vector<std::unique_ptr<LocalServer>> servers_;
};

}  // namespace sm::zkserver

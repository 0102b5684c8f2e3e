#pragma once
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "manager/zkserver/server_process.hpp"

namespace sm::zkserver {

struct LocalZooKeeperOptions {
  int tickTimeMs = 200;
  int minSessionTimeoutMs = 0;  // 0: twice the tick, ZooKeeper's own rule
  int maxSessionTimeoutMs = 60000;
  // Off for tests (halves write latency); benchmarks that claim durability turn it on.
  bool forceSync = false;
  // Where the servers' folders go: empty means $SM_ZK_BASE_DIR, else the system's temp folder.
  std::filesystem::path baseDir;
  int heapMb = 64;
  std::chrono::milliseconds startTimeout{30000};
  // Keep the folders (configuration, data, logs) after stopping, to look at a failure.
  bool keepFiles = false;
};

struct PeerAddress {
  int id;
  int clientPort;
  int quorumPort;
  int electionPort;
  // Where the server listens (client, quorum and election ports), an IPv4 address.
  std::string host = "127.0.0.1";
  // The network namespace (`ip netns` name) the server runs in; empty for ours. Tests of
  // partitions run each server of an ensemble on its own namespaced host.
  std::string netns = {};
};

// One server of the Debian `zookeeper` package run as our child: its own zoo.cfg, data and logs in
// its own folder, listening on 127.0.0.1 only, four-letter words on, the admin server off. Nothing
// under /etc is read or changed and no systemd unit is involved.
class LocalServer {
 public:
  // `peers` is empty for a standalone server; else the whole ensemble, this one included.
  LocalServer(std::filesystem::path dir, PeerAddress self, std::vector<PeerAddress> peers,
              const LocalZooKeeperOptions& options);
  ~LocalServer();
  LocalServer(const LocalServer&) = delete;
  LocalServer& operator=(const LocalServer&) = delete;

  // Starts the process; does not wait for it to serve.
  void start();
  // Waits until `srvr` reports a mode; false (with the reason in lastError()) when the process
  // died or the time ran out.
  bool waitServing(std::chrono::milliseconds timeout);
  void stop();  // TERM, KILL after a grace period; reaped by PID
  void kill();  // SIGKILL
  void freeze();
  void thaw();
  bool running() { return process_.running(); }
  std::optional<std::string> mode() const;  // "standalone", "leader", "follower", or nullopt

  int id() const { return self_.id; }
  int clientPort() const { return self_.clientPort; }
  pid_t pid() const { return process_.pid(); }
  const std::filesystem::path& dir() const { return dir_; }
  const std::string& lastError() const { return lastError_; }
  // The last lines of the server's own output and log, for error messages.
  std::string logTail(size_t lines = 15) const;

 private:
  void writeFiles(const std::vector<PeerAddress>& peers);

  std::filesystem::path dir_;
  PeerAddress self_;
  LocalZooKeeperOptions options_;
  ServerProcess process_;
  std::string lastError_;
};

// Checks that the Debian packages the servers need are installed; throws with what to run if not.
void requireZooKeeperInstalled();
// The folder that holds the servers' folders for these options (created if missing).
std::filesystem::path serverBaseDir(const LocalZooKeeperOptions& options);
// A fresh, uniquely named folder under the base folder.
std::filesystem::path makeServerDir(const LocalZooKeeperOptions& options, const std::string& stem);

}  // namespace sm::zkserver

#include "tests/support/namespaced_zookeeper.hpp"

#include <stdlib.h>

#include <filesystem>
#include <stdexcept>
#include <thread>

#include "manager/zkserver/four_letter_word.hpp"

namespace sm::test {

namespace {

constexpr int kQuorumPort = 2888;
constexpr int kElectionPort = 3888;
constexpr int kFirstOctet = 21;

std::filesystem::path makeDir(const zkserver::LocalZooKeeperOptions& options, std::size_t index) {
  auto pattern =
      (zkserver::serverBaseDir(options) / ("netns-zk" + std::to_string(index + 1) + "-XXXXXX"))
          .string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("cannot create " + pattern);
  return pattern;
}

}  // namespace

NamespacedZooKeeper::NamespacedZooKeeper(HostNetwork& network, std::size_t servers,
                                         zkserver::LocalZooKeeperOptions options)
    : options_(std::move(options)) {
  std::vector<zkserver::PeerAddress> peers;
  for (std::size_t i = 0; i < servers; ++i) {
    const auto& host =
        network.addHost("zk" + std::to_string(i + 1), kFirstOctet + static_cast<int>(i));
    hosts_.push_back(&host);
    peers.push_back(zkserver::PeerAddress{static_cast<int>(i + 1), kClientPort, kQuorumPort,
                                          kElectionPort, host.address, host.netns});
  }
  for (std::size_t i = 0; i < servers; ++i) {
    servers_.push_back(std::make_unique<zkserver::LocalServer>(
        makeDir(options_, i), peers[i], servers == 1 ? std::vector<zkserver::PeerAddress>{} : peers,
        options_));
  }
  for (auto& server : servers_) server->start();
  if (!waitQuorum(std::chrono::seconds(60))) {
    std::string logs;
    for (auto& server : servers_) logs += server->logTail() + "\n";
    throw std::runtime_error("namespaced ZooKeeper did not serve within 60 s:\n" + logs);
  }
}

NamespacedZooKeeper::~NamespacedZooKeeper() {
  for (auto& server : servers_) {
    server->thaw();
    server->stop();
  }
  for (auto& server : servers_) {
    if (!options_.keepFiles) {
      std::error_code ignored;
      std::filesystem::remove_all(server->dir(), ignored);
    }
  }
}

std::string NamespacedZooKeeper::connectString() const {
  std::string out;
  for (const auto* host : hosts_) {
    out += (out.empty() ? "" : ",") + host->address + ":" + std::to_string(kClientPort);
  }
  return out;
}

std::optional<std::size_t> NamespacedZooKeeper::indexOfAddress(const std::string& hostPort) const {
  for (std::size_t i = 0; i < hosts_.size(); ++i) {
    if (hostPort == hosts_[i]->address + ":" + std::to_string(kClientPort)) return i;
  }
  return std::nullopt;
}

std::optional<std::size_t> NamespacedZooKeeper::leader() const {
  for (std::size_t i = 0; i < servers_.size(); ++i) {
    auto mode = zkserver::serverMode(hosts_[i]->address, kClientPort);
    if (mode == "leader" || mode == "standalone") return i;
  }
  return std::nullopt;
}

bool NamespacedZooKeeper::waitQuorum(std::chrono::milliseconds timeout,
                                     std::optional<std::size_t> except) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    bool allServe = true;
    bool led = false;
    for (std::size_t i = 0; i < servers_.size() && allServe; ++i) {
      if (except == i) continue;
      auto mode = zkserver::serverMode(hosts_[i]->address, kClientPort);
      allServe = mode.has_value();
      led = led || mode == "leader" || mode == "standalone";
    }
    if (allServe && led) return true;
    // Polled: a server's readiness is only seen by asking it.
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

}  // namespace sm::test

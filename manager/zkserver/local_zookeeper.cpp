#include "manager/zkserver/local_zookeeper.hpp"

#include <functional>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "manager/zkserver/free_port.hpp"

namespace sm::zkserver {

namespace {

// Free ports are picked before the server binds them; another process may win the race. A few
// fresh attempts make that harmless.
constexpr int kStartAttempts = 3;

void removeFolder(const std::filesystem::path& dir, const LocalZooKeeperOptions& options) {
  if (options.keepFiles || std::getenv("SM_KEEP_ZK_DIRS")) return;
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
}

// Runs `attempt` (which returns the reason it failed, or "" once serving) in a fresh folder each
// time; a failed attempt's folder is removed.
void startWithRetries(const char* what, std::filesystem::path& dir,
                      const LocalZooKeeperOptions& options, const char* stem,
                      const std::function<std::string()>& attempt) {
  std::string errors;
  for (int i = 0; i < kStartAttempts; ++i) {
    dir = makeServerDir(options, stem);
    auto error = attempt();
    if (error.empty()) return;
    errors += error + "\n";
    removeFolder(dir, options);
  }
  throw std::runtime_error(fmt::format("cannot start {}:\n{}", what, errors));
}

}  // namespace

LocalZooKeeper::LocalZooKeeper(LocalZooKeeperOptions options) : options_(std::move(options)) {
  startWithRetries("a local ZooKeeper server", dir_, options_, "zk", [&] {
    PeerAddress self{1, freeLoopbackPort(), 0, 0};
    server_ = std::make_unique<LocalServer>(dir_, self, std::vector<PeerAddress>{}, options_);
    server_->start();
    if (server_->waitServing(options_.startTimeout)) return std::string();
    auto error = server_->lastError();
    server_.reset();
    return error;
  });
}

LocalZooKeeper::~LocalZooKeeper() {
  server_.reset();
  removeFolder(dir_, options_);
}

std::string LocalZooKeeper::connectString() const {
  return fmt::format("127.0.0.1:{}", server_->clientPort());
}

void LocalZooKeeper::restart() {
  server_->stop();
  server_->start();
  if (!server_->waitServing(options_.startTimeout)) throw std::runtime_error(server_->lastError());
}

LocalEnsemble::LocalEnsemble(size_t size, LocalZooKeeperOptions options)
    : options_(std::move(options)) {
  startWithRetries("a local ZooKeeper ensemble", dir_, options_, "ensemble", [&] {
    std::vector<PeerAddress> peers;
    for (size_t i = 0; i < size; ++i) {
      peers.push_back(
          {static_cast<int>(i + 1), freeLoopbackPort(), freeLoopbackPort(), freeLoopbackPort()});
    }
    for (const auto& peer : peers) {
      servers_.push_back(std::make_unique<LocalServer>(dir_ / fmt::format("server-{}", peer.id),
                                                       peer, peers, options_));
    }
    for (auto& server : servers_) server->start();
    for (auto& server : servers_) {
      if (!server->waitServing(options_.startTimeout)) {
        auto error = server->lastError();
        servers_.clear();
        return error;
      }
    }
    return std::string();
  });
}

LocalEnsemble::~LocalEnsemble() {
  servers_.clear();
  removeFolder(dir_, options_);
}

std::string LocalEnsemble::connectString() const {
  std::string hosts;
  for (const auto& server : servers_) {
    if (!hosts.empty()) hosts += ",";
    hosts += fmt::format("127.0.0.1:{}", server->clientPort());
  }
  return hosts;
}

std::optional<size_t> LocalEnsemble::indexOfAddress(const std::string& hostPort) const {
  for (size_t i = 0; i < servers_.size(); ++i) {
    if (hostPort == fmt::format("127.0.0.1:{}", servers_[i]->clientPort())) return i;
  }
  return std::nullopt;
}

std::optional<size_t> LocalEnsemble::leader() const {
  for (size_t i = 0; i < servers_.size(); ++i) {
    if (servers_[i]->mode() == "leader") return i;
  }
  return std::nullopt;
}

void LocalEnsemble::restart(size_t index) {
  auto& server = *servers_.at(index);
  server.stop();
  server.start();
  if (!server.waitServing(options_.startTimeout)) throw std::runtime_error(server.lastError());
}

bool LocalEnsemble::waitQuorum(std::chrono::milliseconds timeout) const {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    size_t serving = 0;
    bool haveLeader = false;
    for (const auto& server : servers_) {
      auto mode = server->mode();
      if (!mode) continue;
      ++serving;
      haveLeader |= *mode == "leader";
    }
    if (haveLeader && serving > servers_.size() / 2) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

}  // namespace sm::zkserver

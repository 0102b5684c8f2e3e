#include "manager/daemon/lock_server.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <future>
#include <stdexcept>

#include "manager/daemon/lock_peer.hpp"
#include "manager/daemon/lock_server_state.hpp"
#include "manager/daemon/lock_socket_writer.hpp"
#include "manager/zk/error.hpp"
#include "services/role.hpp"
#include "services/unix_socket_address.hpp"

namespace sm::daemon {

namespace {

using services::lockwire::Kind;
using services::lockwire::Message;

constexpr int kMaxEvents = 32;
constexpr int kListenBacklog = 64;
// How long the loop waits for an exited process's locks to be released before it goes on.
constexpr std::chrono::milliseconds kExitReleaseWait{200};

void addToEpoll(int epollFd, int fd) {
  epoll_event event{};
  event.events = EPOLLIN | EPOLLRDHUP;
  event.data.fd = fd;
  if (::epoll_ctl(epollFd, EPOLL_CTL_ADD, fd, &event) != 0) {
    throw std::runtime_error(fmt::format("epoll_ctl: {}", std::strerror(errno)));
  }
}

// Binds a Unix socket at a path of any length (services::UnixSocketAddress).
void bindUnix(int fd, const std::string& path) {
  const services::UnixSocketAddress address(path);
  if (!address.valid()) {
    throw std::runtime_error(fmt::format("lock socket path {} is too long", path));
  }
  if (::bind(fd, address.get(), address.size()) != 0) {
    throw std::runtime_error(fmt::format("cannot bind {}: {}", path, std::strerror(errno)));
  }
}

}  // namespace

std::string lockSocketPath(const DaemonOptions& options) {
  return options.workDir + "/run/daemon.sock";
}

LockServer::LockServer(DaemonContext& context, Options options)
    : context_(context), options_(std::move(options)), lease_(context) {}

LockServer::~LockServer() {
  stopping_ = true;
  {
    std::lock_guard lock(tasksMutex_);
    for (const auto& [weak, listener] : listeners_) {
      if (auto session = weak.lock()) session->removeStateListener(listener);
    }
  }
  if (eventFd_ >= 0) {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(eventFd_, &one, sizeof(one));
  }
  if (thread_.joinable()) thread_.join();
  if (renewer_) renewer_->stop();
  // Still ours: the thread has ended. Nodes left here go with the session (or its close).
  for (auto& [id, entry] : entries_) entry->member->abandon();
  for (auto& [fd, connection] : connections_) {
    if (connection->pidfd >= 0) ::close(connection->pidfd);
    ::close(fd);
  }
  if (listenFd_ >= 0) {
    ::close(listenFd_);
    ::unlink(options_.socketPath.c_str());
  }
  if (epollFd_ >= 0) ::close(epollFd_);
  if (auto session = context_.session()) session->drain();
  std::lock_guard lock(tasksMutex_);
  tasks_.clear();
  if (eventFd_ >= 0) ::close(eventFd_);
}

void LockServer::start() {
  namespace fs = std::filesystem;
  const fs::path socket(options_.socketPath);
  std::error_code ec;
  fs::create_directories(socket.parent_path(), ec);
  if (ec) {
    throw std::runtime_error(
        fmt::format("cannot create {}: {}", socket.parent_path().string(), ec.message()));
  }
  // The directory keeps everyone but the daemon's user (and root) away from the socket.
  if (::chmod(socket.parent_path().c_str(), 0700) != 0) {
    throw std::runtime_error(
        fmt::format("cannot chmod {}: {}", socket.parent_path().string(), std::strerror(errno)));
  }
  ::unlink(options_.socketPath.c_str());  // a previous run's
  listenFd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listenFd_ < 0) throw std::runtime_error(fmt::format("socket: {}", std::strerror(errno)));
  bindUnix(listenFd_, options_.socketPath);
  ::chmod(options_.socketPath.c_str(), 0600);
  if (::listen(listenFd_, kListenBacklog) != 0) {
    throw std::runtime_error(fmt::format("listen: {}", std::strerror(errno)));
  }
  eventFd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epollFd_ = ::epoll_create1(EPOLL_CLOEXEC);
  if (eventFd_ < 0 || epollFd_ < 0) {
    throw std::runtime_error(fmt::format("eventfd/epoll: {}", std::strerror(errno)));
  }
  addToEpoll(epollFd_, eventFd_);
  addToEpoll(epollFd_, listenFd_);
  renewer_ = std::make_unique<LeaseRenewer>(
      lease_, [this](std::uint64_t deadline) { post([this, deadline] { onLease(deadline); }); });
  thread_ = std::thread([this] { run(); });
  spdlog::info("lock server on {}", options_.socketPath);
}

void LockServer::post(std::function<void()> task) {
  if (stopping_ || eventFd_ < 0) return;
  {
    std::lock_guard lock(tasksMutex_);
    tasks_.push_back(std::move(task));
  }
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(eventFd_, &one, sizeof(one));
}

void LockServer::instanceStarted(const std::string& uuid, pid_t pid, const std::string& type,
                                 std::int64_t logical) {
  post([this, owner = Owner{uuid, type, logical, pid}] {
    std::erase_if(owners_, [&](const auto& item) { return item.second.uuid == owner.uuid; });
    owners_[owner.pid] = owner;
    recheckPending();
  });
}

void LockServer::instanceExited(const std::string& uuid) {
  auto done = std::make_shared<std::promise<void>>();
  auto released = done->get_future();
  post([this, uuid, done] {
    std::vector<int> ended;
    for (const auto& [fd, connection] : connections_) {
      if (connection->owner && connection->owner->uuid == uuid) ended.push_back(fd);
    }
    for (int fd : ended) closeConnection(fd, "its managed process exited");
    std::erase_if(owners_, [&](const auto& item) { return item.second.uuid == uuid; });
    done->set_value();
  });
  // Its locks go before anything else the daemon does for the exit (usually the connection's EOF
  // released them already). Waited for only when it has some, and never long: a lock thread stuck
  // on a cut-off ZooKeeper must not hold up the loop.
  if (holdsFor(uuid)) released.wait_for(kExitReleaseWait);
}

bool LockServer::holdsFor(const std::string& uuid) const {
  std::lock_guard lock(holdersMutex_);
  return holders_.contains(uuid);
}

void LockServer::install(const std::shared_ptr<zk::Session>& session) {
  std::weak_ptr<zk::Session> weak = session;
  const auto listener = session->addStateListener([this, weak](zk::SessionState state) {
    post([this, weak, state] { onConnection(weak, state); });
  });
  {
    std::lock_guard lock(tasksMutex_);
    listeners_.emplace_back(weak, listener);
  }
  post([this, weak] { onConnection(weak, zk::SessionState::Connected); });
}

// --- the lock thread ---

void LockServer::run() {
  epoll_event events[kMaxEvents];
  while (!stopping_) {
    const int n = ::epoll_wait(epollFd_, events, kMaxEvents, nextTimeoutMs());
    if (n < 0 && errno != EINTR) {
      spdlog::error("lock server: epoll_wait: {}", std::strerror(errno));
      break;
    }
    for (int i = 0; i < n && !stopping_; ++i) {
      const int fd = events[i].data.fd;
      try {
        if (fd == eventFd_) {
          std::uint64_t count = 0;
          [[maybe_unused]] auto r = ::read(eventFd_, &count, sizeof(count));
        } else if (fd == listenFd_) {
          accept();
        } else if (auto pidfd = pidfds_.find(fd); pidfd != pidfds_.end()) {
          closeConnection(pidfd->second, "its process exited");
        } else if (connections_.contains(fd)) {
          readFrom(fd);
        }
      } catch (const std::exception& e) {
        spdlog::error("lock server: {}", e.what());
      }
    }
    try {
      runTasks();
      expireTimeouts();
    } catch (const std::exception& e) {
      spdlog::error("lock server: {}", e.what());
    }
  }
}

void LockServer::runTasks() {
  for (;;) {
    std::deque<std::function<void()>> batch;
    {
      std::lock_guard lock(tasksMutex_);
      batch.swap(tasks_);
    }
    if (batch.empty()) return;
    for (auto& task : batch) {
      try {
        task();
      } catch (const std::exception& e) {
        spdlog::error("lock server: {}", e.what());
      }
    }
  }
}

void LockServer::accept() {
  for (;;) {
    const int fd = ::accept4(listenFd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    auto credentials = peerCredentials(fd);
    if (!credentials) {
      refuse(fd, "peer: the kernel does not say which process this is");
      continue;
    }
    auto connection = std::make_unique<Connection>();
    connection->fd = fd;
    connection->writer = std::make_shared<LockSocketWriter>(fd);
    connection->peer = *credentials;
    auto& ref = *connection;
    connections_.emplace(fd, std::move(connection));
    addToEpoll(epollFd_, fd);
    identify(ref);
  }
}

void LockServer::identify(Connection& connection) {
  const auto& peer = connection.peer;
  if (peer.uid != 0 && peer.uid != ::geteuid()) {
    return closeConnection(connection.fd,
                           fmt::format("peer: uid {} is neither root nor this daemon's user ({})",
                                       peer.uid, ::geteuid()));
  }
  auto lineage = processLineage(peer.pid);
  if (!lineage) return closeConnection(connection.fd, "peer: the process is gone");
  if (auto ownerPid = managedOwner(*lineage, owners_)) {
    connection.owner = owners_.at(*ownerPid);
    connection.pending = false;
    if (connection.pidfd < 0) {
      connection.pidfd = static_cast<int>(::syscall(SYS_pidfd_open, peer.pid, 0));
      if (connection.pidfd >= 0) {
        pidfds_[connection.pidfd] = connection.fd;
        addToEpoll(epollFd_, connection.pidfd);
      }
    }
    // What it sent while it waited to be known.
    std::string input;
    input.swap(connection.input);
    connection.input.clear();
    const int fd = connection.fd;
    std::size_t start = 0;
    for (auto newline = input.find('\n'); newline != std::string::npos;
         newline = input.find('\n', start)) {
      handleLine(connection, std::string_view(input).substr(start, newline - start));
      start = newline + 1;
      if (!connections_.contains(fd)) return;
    }
    connection.input = input.substr(start);
    return;
  }
  const auto waited = std::chrono::steady_clock::now() - connection.since;
  if (descendsFrom(*lineage, ::getpid()) && waited < options_.unknownPeerGrace) {
    connection.pending = true;
    return;
  }
  closeConnection(connection.fd,
                  fmt::format("peer: pid {} is not a process this daemon manages (nor a "
                              "descendant of one)",
                              peer.pid));
}

void LockServer::recheckPending() {
  std::vector<int> pending;
  for (const auto& [fd, connection] : connections_) {
    if (connection->pending) pending.push_back(fd);
  }
  for (int fd : pending) {
    if (auto it = connections_.find(fd); it != connections_.end()) identify(*it->second);
  }
}

void LockServer::refuse(int fd, const std::string& why) {
  spdlog::warn("lock server: refused a connection: {}", why);
  Message message;
  message.kind = Kind::Refused;
  message.text = why;
  const auto line = services::lockwire::encode(message);
  [[maybe_unused]] auto n = ::send(fd, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  ::close(fd);
}

void LockServer::readFrom(int fd) {
  auto& connection = *connections_.at(fd);
  char chunk[8192];
  for (;;) {
    const auto n = ::recv(fd, chunk, sizeof(chunk), MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (n <= 0) return closeConnection(fd, "the connection closed");
    connection.input.append(chunk, static_cast<std::size_t>(n));
    if (connection.input.size() > 2 * services::lockwire::kMaxLineBytes) break;
  }
  if (connection.pending || !connection.owner) {
    if (connection.input.size() > services::lockwire::kMaxLineBytes) {
      closeConnection(fd, "request: too much input before the peer was known");
    }
    return;
  }
  std::size_t start = 0;
  for (auto newline = connection.input.find('\n'); newline != std::string::npos;
       newline = connection.input.find('\n', start)) {
    const std::string line = connection.input.substr(start, newline - start);
    start = newline + 1;
    handleLine(connection, line);
    if (!connections_.contains(fd)) return;
  }
  connection.input.erase(0, start);
  if (connection.input.size() > services::lockwire::kMaxLineBytes) {
    sendTo(fd, Kind::Error, "", "request: line too long");
    closeConnection(fd, "request: line too long");
  }
}

void LockServer::handleLine(Connection& connection, std::string_view line) {
  std::string error;
  auto request = services::lockwire::parse(line, &error);
  if (!request) return sendTo(connection.fd, Kind::Error, "", error);
  switch (request->kind) {
    case Kind::Acquire:
      return acquire(connection, *request);
    case Kind::Release:
      return release(connection, request->name);
    default:
      return sendTo(connection.fd, Kind::Error, request->name,
                    fmt::format("request: {} is not a request a process may send",
                                services::lockwire::kindName(request->kind)));
  }
}

void LockServer::closeConnection(int fd, const std::string& why) {
  auto it = connections_.find(fd);
  if (it == connections_.end()) return;
  auto connection = std::move(it->second);
  connections_.erase(it);
  const bool refused = !connection->owner;
  // The releases first: a holder's end is what its waiters wait for.
  std::vector<std::uint64_t> ids;
  for (const auto& [name, id] : connection->entries) ids.push_back(id);
  for (auto id : ids) {
    const auto name = entries_.at(id)->name;
    drop(id);  // logged after: the delete is what the next waiter waits for
    spdlog::info("lock {}: released ({})", name, why);
  }
  ::epoll_ctl(epollFd_, EPOLL_CTL_DEL, fd, nullptr);
  if (connection->pidfd >= 0) {
    ::epoll_ctl(epollFd_, EPOLL_CTL_DEL, connection->pidfd, nullptr);
    pidfds_.erase(connection->pidfd);
    ::close(connection->pidfd);
  }
  if (refused) spdlog::warn("lock server: refused a connection: {}", why);
  Message last;
  last.kind = Kind::Refused;
  last.text = why;
  // The client thread may still hold the writer: it closes the socket, under its lock.
  connection->writer->close(refused ? services::lockwire::encode(last) : "");
}

void LockServer::send(Connection& connection, const Message& message) {
  if (!connection.writer->write(services::lockwire::encode(message))) {
    // A process that does not read what it asked for: its connection ends (EOF follows).
    spdlog::warn("lock server: cannot write to pid {}: closing its connection",
                 connection.peer.pid);
  }
}

void LockServer::sendTo(int fd, Kind kind, const std::string& name, const std::string& text) {
  auto it = connections_.find(fd);
  if (it == connections_.end()) return;
  Message message;
  message.kind = kind;
  message.name = name;
  message.text = text;
  send(*it->second, message);
}

}  // namespace sm::daemon

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

#include "config/names.hpp"
#include "config/resource_lock_data.hpp"
#include "manager/daemon/lock_peer.hpp"
#include "manager/daemon/lock_socket_writer.hpp"
#include "manager/zk/error.hpp"
#include "services/role.hpp"

namespace sm::daemon {

namespace {

using services::lockwire::Kind;
using services::lockwire::Message;

constexpr int kMaxEvents = 32;
constexpr int kListenBacklog = 64;
// The first contender of a lock makes its directory: a create that finds none makes it and tries
// again, this many times at most.
constexpr int kCreateAttempts = 3;
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

// Binds a Unix socket at a path of any length (a long one through its directory's descriptor).
void bindUnix(int fd, const std::string& path) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::string target = path;
  int dirFd = -1;
  if (target.size() >= sizeof(address.sun_path)) {
    const auto slash = path.rfind('/');
    dirFd = ::open(path.substr(0, slash).c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dirFd >= 0) target = fmt::format("/proc/self/fd/{}/{}", dirFd, path.substr(slash + 1));
  }
  if (target.size() >= sizeof(address.sun_path)) {
    if (dirFd >= 0) ::close(dirFd);
    throw std::runtime_error(fmt::format("lock socket path {} is too long", path));
  }
  std::memcpy(address.sun_path, target.c_str(), target.size() + 1);
  const int rc = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  const int saved = errno;
  if (dirFd >= 0) ::close(dirFd);
  if (rc != 0) {
    throw std::runtime_error(fmt::format("cannot bind {}: {}", path, std::strerror(saved)));
  }
}

}  // namespace

std::string lockSocketPath(const DaemonOptions& options) {
  return options.workDir + "/run/daemon.sock";
}

struct LockServer::Connection {
  int fd = -1;
  std::shared_ptr<LockSocketWriter> writer;
  int pidfd = -1;
  PeerCredentials peer;
  std::optional<Owner> owner;
  bool pending = false;  // descends from this daemon, but from no managed process known yet
  std::chrono::steady_clock::time_point since = std::chrono::steady_clock::now();
  std::string input;
  std::map<std::string, std::uint64_t> entries;  // lock name -> entry
};

// What the session's client thread needs to tell a waiter "held" itself (the fast path).
struct LockServer::EarlyGrant {
  std::shared_ptr<LockSocketWriter> writer;
  std::string name;
  std::weak_ptr<zk::QueueMember> member;
  std::atomic<bool> told{false};  // "held" was sent, by whichever thread came first
};

struct LockServer::Entry {
  std::uint64_t id = 0;
  int fd = -1;  // the connection's
  std::shared_ptr<EarlyGrant> grant;
  std::string name;
  pid_t pid = 0;
  std::string dir;
  std::shared_ptr<zk::QueueMember> member;
  config::ResourceLockData data;
  bool held = false;
  bool tryOnly = false;
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

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

void LockServer::acquire(Connection& connection, const Message& request) {
  const auto& name = request.name;
  if (auto why = config::checkLockName(name)) {
    return sendTo(connection.fd, Kind::Error, name, "name: " + *why);
  }
  if (connection.entries.contains(name)) {
    return sendTo(connection.fd, Kind::Error, name,
                  fmt::format("name: {} is already held or waited for on this connection", name));
  }
  const auto mine = std::count_if(entries_.begin(), entries_.end(), [&](const auto& item) {
    return item.second->pid == connection.peer.pid;
  });
  if (static_cast<std::size_t>(mine) >= options_.maxLocksPerProcess) {
    return sendTo(connection.fd, Kind::Error, name,
                  fmt::format("name: this process already holds or waits for {} locks, the most "
                              "one process may",
                              options_.maxLocksPerProcess));
  }
  auto session = context_.session();
  if (cutOff_ || !session || !session->connected()) {
    return sendTo(connection.fd, Kind::Lost, name, "the daemon has no ZooKeeper connection now");
  }
  auto entry = std::make_unique<Entry>();
  entry->id = nextEntry_++;
  entry->fd = connection.fd;
  entry->name = name;
  entry->pid = connection.peer.pid;
  entry->dir = context_.layout.resourceLock(name);
  entry->tryOnly = request.timeoutMs == 0;
  if (request.timeoutMs > 0) {
    entry->deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(request.timeoutMs);
  }
  const auto& owner = *connection.owner;
  entry->data = {owner.type,           owner.logical, owner.uuid, context_.options.hostId,
                 connection.peer.pid, wallNowMs(),   std::nullopt};
  const auto id = entry->id;
  zk::QueueMember::Listener listener;
  listener.onState = [this, id](zk::QueueMember::State state) {
    if (state == zk::QueueMember::State::Held) {
      post([this, id] { onHeld(id); });
    } else if (state == zk::QueueMember::State::Suspended) {
      post([this, id] { onLost(id, "the daemon lost its ZooKeeper connection"); });
    }
  };
  listener.onPosition = [this, id](const zk::QueueMember::Position& position) {
    post([this, id, first = position.first] { onPosition(id, first); });
  };
  listener.onLost = [this, id](zk::LossReason reason) {
    post([this, id, reason] { onLost(id, zk::toString(reason)); });
  };
  entry->grant = std::make_shared<EarlyGrant>();
  entry->grant->writer = connection.writer;
  entry->grant->name = name;
  // The fast path: the predecessor's delete seen on the client's thread, which tells the process
  // at once; the lock thread follows (heldSince, or the grant itself when the lease needs a renewal).
  listener.onFirstEarly = [this, id, grant = entry->grant] {
    tellHeldEarly(*grant);
    post([this, id] { onHeld(id); });
  };
  const std::string data = config::encodeResourceLockData(entry->data);
  for (int attempt = 1;; ++attempt) {
    entry->member = zk::QueueMember::make(session, entry->dir,
                                          std::string(config::Layout::kLockChildPrefix), data,
                                          listener);
    entry->grant->member = entry->member;
    try {
      entry->member->enter();
      break;
    } catch (const zk::ZkError& e) {
      if (e.code() == zk::Code::NoNode && attempt < kCreateAttempts) {
        try {
          session->ensurePath(entry->dir);
          continue;
        } catch (const zk::ZkError&) {
        }
      }
      spdlog::warn("lock {}: cannot queue: {}", name, e.what());
      return sendTo(connection.fd, Kind::Lost, name,
                    fmt::format("the daemon could not queue in ZooKeeper: {}", e.what()));
    }
  }
  connection.entries[name] = id;
  {
    std::lock_guard lock(holdersMutex_);
    holders_.insert(owner.uuid);
  }
  entries_[id] = std::move(entry);
  entryCount_ = entries_.size();
  renewer_->setActive(true);
}

void LockServer::release(Connection& connection, const std::string& name) {
  auto it = connection.entries.find(name);
  if (it == connection.entries.end()) {
    return sendTo(connection.fd, Kind::Error, name,
                  fmt::format("name: {} is not held nor waited for by this connection", name));
  }
  drop(it->second);
  sendTo(connection.fd, Kind::Released, name);
}

void LockServer::drop(std::uint64_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  auto entry = std::move(it->second);
  entries_.erase(it);
  entryCount_ = entries_.size();
  // First: the next waiter's predecessor watch fires on this delete.
  try {
    entry->member->leave();
  } catch (const zk::ZkError& e) {
    spdlog::warn("lock {}: deleting {} failed: {} (it goes with the session)", entry->name,
                 entry->member->nodePath(), e.what());
  }
  if (auto connection = connections_.find(entry->fd); connection != connections_.end()) {
    connection->second->entries.erase(entry->name);
  }
  {
    std::lock_guard lock(holdersMutex_);
    if (auto it = holders_.find(entry->data.uuid); it != holders_.end()) holders_.erase(it);
  }
  // The lock's directory stays: its child counter is what makes the tokens of that name keep
  // increasing (a directory made again would count from 0).
  if (entries_.empty()) renewer_->setActive(false);
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

bool LockServer::tellHeldEarly(EarlyGrant& grant) {
  // Only with a lease that has a quarter of the timeout left, as the lock thread would grant it;
  // else the lock thread renews first.
  const auto quarter = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(lease_.sessionTimeout()).count() / 4);
  const auto lease = lease_.deadline();
  auto member = grant.member.lock();
  if (cutOff_ || !member || lease <= services::monotonicNowNs() + quarter) return false;
  Message message;
  message.kind = Kind::Held;
  message.name = grant.name;
  message.token = member->sequence();
  message.leaseUntilMonoNs = lease;
  if (grant.told.exchange(true)) return true;
  grant.writer->write(services::lockwire::encode(message));
  return true;
}

void LockServer::onHeld(std::uint64_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second->held) return;
  auto& entry = *it->second;
  if (entry.grant->told) {  // told on the client's thread already
    entry.held = true;
    return markHeldSince(entry);
  }
  const auto lease = cutOff_ ? 0 : lease_.current();
  if (lease == 0) return onLost(id, "the daemon cannot confirm its ZooKeeper session");
  entry.held = true;
  if (entry.grant->told.exchange(true)) return markHeldSince(entry);
  Message message;
  message.kind = Kind::Held;
  message.name = entry.name;
  message.token = entry.member->sequence();
  message.leaseUntilMonoNs = lease;
  if (auto connection = connections_.find(entry.fd); connection != connections_.end()) {
    send(*connection->second, message);
  }
  markHeldSince(entry);
}

void LockServer::markHeldSince(const Entry& entry) {
  auto data = entry.data;
  data.heldSince = wallNowMs();
  try {
    if (auto session = context_.session()) {
      session->set(entry.member->nodePath(), config::encodeResourceLockData(data));
    }
  } catch (const zk::ZkError& e) {
    // Gone meanwhile, or cut off: the view shows no time then; the hold is unaffected.
    spdlog::debug("lock {}: heldSince: {}", entry.name, e.what());
  }
}

void LockServer::onPosition(std::uint64_t id, bool first) {
  auto it = entries_.find(id);
  if (it == entries_.end() || first || it->second->held || !it->second->tryOnly) return;
  // Claimed, so that no "held" can follow the "busy" (or it was told held already).
  if (it->second->grant->told.exchange(true)) return;
  const auto fd = it->second->fd;
  const auto name = it->second->name;
  drop(id);
  sendTo(fd, Kind::Busy, name);
}

void LockServer::onLost(std::uint64_t id, const std::string& reason) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  const auto fd = it->second->fd;
  const auto name = it->second->name;
  spdlog::warn("lock {}: lost: {}", name, reason);
  sendTo(fd, Kind::Lost, name, reason);
  drop(id);
}

void LockServer::loseAll(const std::string& reason) {
  std::vector<std::uint64_t> ids;
  for (const auto& [id, entry] : entries_) ids.push_back(id);
  for (auto id : ids) onLost(id, reason);
}

void LockServer::onConnection(const std::weak_ptr<zk::Session>& weak, zk::SessionState state) {
  auto session = weak.lock();
  if (!session || session != context_.session()) return;  // news of a replaced session
  switch (state) {
    case zk::SessionState::Connected:
      cutOff_ = false;
      break;
    case zk::SessionState::Connecting:
    case zk::SessionState::ReadOnly:
      cutOff_ = true;
      loseAll("the daemon lost its ZooKeeper connection");
      break;
    default:
      cutOff_ = true;
      loseAll("the daemon's ZooKeeper session ended");
      break;
  }
}

void LockServer::onLease(std::uint64_t deadlineNs) {
  if (deadlineNs <= services::monotonicNowNs() || cutOff_) {
    if (anyHeld()) loseAll("the daemon could not confirm its ZooKeeper session within the lease");
    return;
  }
  for (const auto& [id, entry] : entries_) {
    if (!entry->held) continue;
    Message message;
    message.kind = Kind::Lease;
    message.name = entry->name;
    message.leaseUntilMonoNs = deadlineNs;
    if (auto connection = connections_.find(entry->fd); connection != connections_.end()) {
      send(*connection->second, message);
    }
  }
}

bool LockServer::anyHeld() const {
  return std::any_of(entries_.begin(), entries_.end(),
                     [](const auto& item) { return item.second->held || item.second->grant->told; });
}

void LockServer::expireTimeouts() {
  // A lease no renewal extended (ZooKeeper does not answer, a renewal hangs): its holders are told
  // now, by the daemon, as well as by their own clocks.
  if (anyHeld() && lease_.deadline() <= services::monotonicNowNs()) {
    loseAll("the daemon could not confirm its ZooKeeper session within the lease");
  }
  const auto now = std::chrono::steady_clock::now();
  std::vector<std::uint64_t> expired;
  for (const auto& [id, entry] : entries_) {
    if (entry->held || !entry->deadline || *entry->deadline > now) continue;
    // Claimed, so that no "held" can follow the "busy" (or it was told held already).
    if (!entry->grant->told.exchange(true)) expired.push_back(id);
  }
  for (auto id : expired) {
    const auto fd = entries_.at(id)->fd;
    const auto name = entries_.at(id)->name;
    drop(id);
    sendTo(fd, Kind::Busy, name);
  }
  bool pending = false;
  for (const auto& [fd, connection] : connections_) pending = pending || connection->pending;
  if (pending) recheckPending();
}

int LockServer::nextTimeoutMs() const {
  std::optional<std::chrono::steady_clock::time_point> next;
  auto consider = [&next](std::chrono::steady_clock::time_point t) {
    if (!next || t < *next) next = t;
  };
  for (const auto& [id, entry] : entries_) {
    if (!entry->held && entry->deadline) consider(*entry->deadline);
  }
  for (const auto& [fd, connection] : connections_) {
    if (connection->pending) consider(connection->since + options_.unknownPeerGrace);
  }
  if (anyHeld()) {
    const auto nowNs = services::monotonicNowNs();
    const auto leaseNs = lease_.deadline();
    consider(std::chrono::steady_clock::now() +
             std::chrono::nanoseconds(leaseNs > nowNs ? leaseNs - nowNs : 0));
  }
  if (!next) return -1;
  const auto left = std::chrono::ceil<std::chrono::milliseconds>(*next -
                                                                 std::chrono::steady_clock::now());
  return static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 60000));
}

}  // namespace sm::daemon

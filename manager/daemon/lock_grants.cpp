// The lock server's queue places in ZooKeeper and their leases (lock_server.hpp): acquire,
// release, held (early, from the session's client thread, or on the lock thread), lost, timeouts.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "config/names.hpp"
#include "config/resource_lock_data.hpp"
#include "manager/daemon/lock_server.hpp"
#include "manager/daemon/lock_server_state.hpp"
#include "manager/zk/error.hpp"
#include "services/role.hpp"

namespace sm::daemon {

namespace {

using services::lockwire::Kind;
using services::lockwire::Message;

// The first contender of a lock makes its directory: a create that finds none makes it and tries
// again, this many times at most.
constexpr int kCreateAttempts = 3;

// "held": the fencing token is the queue node's sequence number.
Message heldMessage(const std::string& name, std::int64_t token, std::uint64_t leaseUntilMonoNs) {
  Message message;
  message.kind = Kind::Held;
  message.name = name;
  message.token = token;
  message.leaseUntilMonoNs = leaseUntilMonoNs;
  return message;
}

}  // namespace

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
  entry->data = {owner.type,          owner.logical, owner.uuid,  context_.options.hostId,
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
  // at once; the lock thread follows (heldSince, or the grant itself when the lease needs a
  // renewal).
  listener.onFirstEarly = [this, id, grant = entry->grant] {
    tellHeldEarly(*grant);
    post([this, id] { onHeld(id); });
  };
  const std::string data = config::encodeResourceLockData(entry->data);
  for (int attempt = 1;; ++attempt) {
    entry->member = zk::QueueMember::make(
        session, entry->dir, std::string(config::Layout::kLockChildPrefix), data, listener);
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

bool LockServer::tellHeldEarly(EarlyGrant& grant) {
  // Only with a lease that has a quarter of the timeout left, as the lock thread would grant it;
  // else the lock thread renews first.
  const auto quarter = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(lease_.sessionTimeout()).count() / 4);
  const auto lease = lease_.deadline();
  auto member = grant.member.lock();
  if (cutOff_ || !member || lease <= services::monotonicNowNs() + quarter) return false;
  if (grant.told.exchange(true)) return true;
  grant.writer->write(
      services::lockwire::encode(heldMessage(grant.name, member->sequence(), lease)));
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
  if (auto connection = connections_.find(entry.fd); connection != connections_.end()) {
    send(*connection->second, heldMessage(entry.name, entry.member->sequence(), lease));
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
  return std::any_of(entries_.begin(), entries_.end(), [](const auto& item) {
    return item.second->held || item.second->grant->told;
  });
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
  const auto left =
      std::chrono::ceil<std::chrono::milliseconds>(*next - std::chrono::steady_clock::now());
  return static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, 60000));
}

}  // namespace sm::daemon

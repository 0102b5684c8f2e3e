#include "manager/zk/queue_member.hpp"

#include <spdlog/spdlog.h>

#include "manager/zk/path.hpp"
#include "manager/zk/sequential_name.hpp"
#include "manager/zk/uuid.hpp"

namespace sm::zk {

const char* toString(LossReason reason) {
  switch (reason) {
    case LossReason::SessionExpired:
      return "session expired";
    case LossReason::Destroyed:
      return "destroyed";
    case LossReason::NodeRemoved:
      return "node removed";
  }
  return "?";
}

std::shared_ptr<QueueMember> QueueMember::make(std::shared_ptr<Session> session, std::string dir,
                                               std::string prefix, std::string data,
                                               Listener listener) {
  return std::make_shared<QueueMember>(PrivateTag{}, std::move(session), std::move(dir),
                                       std::move(prefix), std::move(data), std::move(listener));
}

QueueMember::QueueMember(PrivateTag, std::shared_ptr<Session> session, std::string dir,
                         std::string prefix, std::string data, Listener listener)
    : session_(std::move(session)),
      dir_(std::move(dir)),
      prefix_(std::move(prefix)),
      data_(std::move(data)),
      listener_(std::move(listener)) {}

std::string QueueMember::nodePath() const {
  std::lock_guard lock(mutex_);
  return nodePath_;
}

int64_t QueueMember::sequence() const {
  return sequenceOf(nodePath()).value_or(-1);
}

void QueueMember::enter() {
  start([this] { return createProtected(); });
}

void QueueMember::adopt(const std::string& nodePath) {
  start([&] { return nodePath; });
}

void QueueMember::start(const std::function<std::string()>& ownNode) {
  active_ = true;
  auto weak = weak_from_this();
  stateListener_ = session_->addStateListener([weak](SessionState state) {
    auto self = weak.lock();
    if (!self || !self->active_) return;
    if (state == SessionState::Connected) {
      self->evaluate();
    } else if (state != SessionState::Connecting && state != SessionState::ReadOnly) {
      self->lose(LossReason::SessionExpired);
    }
  });
  std::string path;
  try {
    path = ownNode();
  } catch (...) {
    active_ = false;
    session_->removeStateListener(stateListener_);
    throw;
  }
  {
    std::lock_guard lock(mutex_);
    nodePath_ = path;
  }
  session_->post([weak] {
    if (auto self = weak.lock()) self->evaluate();
  });
}

std::string QueueMember::createProtected() {
  ownPrefix_ = protectedNamePrefix(prefix_, newUuid());
  const auto deadline = std::chrono::steady_clock::now() + session_->negotiatedTimeout();
  for (;;) {
    try {
      return session_->create(childPath(dir_, ownPrefix_), data_, CreateMode::EphemeralSequential);
    } catch (const ZkError& e) {
      if (!e.isConnectionLoss()) throw;
      ++createRetries_;
      spdlog::info("create {}* hit a connection loss; looking for our own node before retrying",
                   childPath(dir_, ownPrefix_));
    }
    // The create may or may not have been applied: look for the node before making another.
    for (;;) {
      auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (remaining.count() <= 0) {
        throw ZkError(Code::ConnectionLoss, "create", dir_,
                      "no connection within the session timeout");
      }
      if (!session_->waitConnected(remaining)) {
        if (!session_->usable()) throw ZkError(Code::SessionExpired, "create", dir_);
        continue;
      }
      try {
        if (auto own = findOwnNode()) {
          ++adopted_;
          spdlog::info("create {}: found our own node after the connection loss", *own);
          return childPath(dir_, *own);
        }
        break;
      } catch (const ZkError& e) {
        if (!e.isConnectionLoss()) throw;
      }
    }
  }
}

std::optional<std::string> QueueMember::findOwnNode() {
  auto names = session_->children(dir_);
  if (!names) return std::nullopt;
  for (const auto& name : *names) {
    if (name.rfind(ownPrefix_, 0) == 0) return name;
  }
  return std::nullopt;
}

void QueueMember::evaluate() {
  const std::string own = nodePath();
  if (own.empty()) return;
  const std::string ownName(nodeName(own));
  // Bounded: each round follows a member that left between two reads.
  for (int round = 0; round < 1000 && active_; ++round) {
    std::optional<std::vector<std::string>> names;
    try {
      names = session_->children(dir_);
    } catch (const ZkError& e) {
      // A connection loss re-evaluates on reconnect; a lost session is final.
      if (e.isSessionLost()) lose(LossReason::SessionExpired);
      return;
    }
    if (!names) return lose(LossReason::Destroyed);
    auto order = queueOrder(*names, prefix_);
    size_t index = 0;
    while (index < order.size() && order[index].name != ownName) ++index;
    if (index == order.size()) return lose(LossReason::NodeRemoved);

    Position next;
    next.index = index;
    next.first = index == 0;
    if (!next.first) {
      next.predecessor = order[index - 1].name;
      bool armed;
      {
        std::lock_guard lock(mutex_);
        armed = position_ && position_->predecessor == next.predecessor;
      }
      std::optional<Stat> present;
      try {
        Watcher watcher;
        if (!armed) {
          watcher = [weak = weak_from_this()](const WatchEvent&) {
            auto self = weak.lock();
            if (!self || !self->active_) return;
            ++self->wakeups_;
            {
              std::lock_guard lock(self->mutex_);
              self->position_.reset();  // the watch is spent: the next evaluation re-arms one
            }
            self->evaluate();
          };
        }
        present = session_->exists(childPath(dir_, next.predecessor), std::move(watcher));
      } catch (const ZkError& e) {
        if (e.isSessionLost()) lose(LossReason::SessionExpired);
        return;
      }
      if (!present) continue;  // it left between the two reads: look again
    }
    {
      std::lock_guard lock(mutex_);
      if (position_ && *position_ == next) return;
      position_ = next;
    }
    if (active_ && listener_.onPosition) listener_.onPosition(next);
    return;
  }
}

void QueueMember::lose(LossReason reason) {
  if (!active_.exchange(false)) return;
  session_->removeStateListener(stateListener_);
  spdlog::info("queue member {} lost its place: {}", nodePath(), toString(reason));
  if (listener_.onLost) listener_.onLost(reason);
}

void QueueMember::abandon() {
  active_ = false;
  session_->removeStateListener(stateListener_);
}

void QueueMember::leave() {
  active_ = false;
  session_->removeStateListener(stateListener_);
  const std::string own = nodePath();
  if (own.empty()) return;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (session_->usable()) {
    try {
      session_->remove(own);
      return;
    } catch (const ZkError& e) {
      if (e.code() == Code::NoNode || e.isSessionLost()) return;
      if (!e.isConnectionLoss()) throw;
    }
    auto remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (remaining.count() <= 0 || !session_->waitConnected(remaining)) {
      // Still cut off: the node goes with the session if we never reach a server again.
      spdlog::warn("could not delete {} (no connection); it goes when the session ends", own);
      return;
    }
  }
}

}  // namespace sm::zk

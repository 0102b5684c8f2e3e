#include "manager/zk/queue_member.hpp"

#include <spdlog/spdlog.h>

#include "manager/zk/error.hpp"
#include "manager/zk/path.hpp"
#include "manager/zk/remove_when_connected.hpp"
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
    if (auto self = weak.lock()) self->onSessionState(state);
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
    auto self = weak.lock();
    if (!self || !self->active_) return;
    self->watchOwnNode();
    self->evaluate();
  });
}

void QueueMember::onSessionState(SessionState state) {
  if (!active_) return;
  if (state == SessionState::Connected) {
    watchOwnNode();
    evaluate();
  } else if (state == SessionState::Connecting || state == SessionState::ReadOnly) {
    // Not sure any more: the session may expire while we cannot hear of it.
    if (this->state() == State::Held) setState(State::Suspended);
  } else {
    lose(LossReason::SessionExpired);
  }
}

std::string QueueMember::createProtected() {
  ownPrefix_ = protectedNamePrefix(prefix_, newUuid());
  return makeOwnNode(false);
}

std::string QueueMember::makeOwnNode(bool lookFirst) {
  const auto deadline = std::chrono::steady_clock::now() + session_->negotiatedTimeout();
  for (;;) {
    // A create may or may not have been applied when its answer was lost: look for the node
    // before making another.
    while (lookFirst) {
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
    try {
      return session_->create(childPath(dir_, ownPrefix_), data_, CreateMode::EphemeralSequential);
    } catch (const ZkError& e) {
      if (!e.isConnectionLoss()) throw;
      ++createRetries_;
      spdlog::info("create {}* hit a connection loss; looking for our own node before retrying",
                   childPath(dir_, ownPrefix_));
    }
    lookFirst = true;
  }
}

std::vector<bool> QueueMember::enterAll(const std::vector<std::shared_ptr<QueueMember>>& members) {
  std::vector<bool> entered(members.size(), false);
  if (members.empty()) return entered;
  std::vector<Op> ops;
  for (const auto& member : members) {
    member->ownPrefix_ = protectedNamePrefix(member->prefix_, newUuid());
    ops.push_back(Op::create(childPath(member->dir_, member->ownPrefix_), member->data_,
                             CreateMode::EphemeralSequential));
  }
  std::vector<OpResult> made;
  bool answerLost = false;
  try {
    made = members.front()->session_->multi(ops);
  } catch (const ZkError& e) {
    if (e.isConnectionLoss()) {
      // All of them made, or none: each looks for its own node, as enter() does.
      answerLost = true;
      for (const auto& member : members) ++member->createRetries_;
    } else if (!dynamic_cast<const MultiError*>(&e)) {
      throw;
    }
    // Else one directory is gone and nothing was made: the others enter one by one.
  }
  for (std::size_t i = 0; i < members.size(); ++i) {
    auto& member = *members[i];
    try {
      if (!made.empty()) {
        member.start([&] { return made[i].createdPath; });
      } else {
        member.start([&] { return member.makeOwnNode(answerLost); });
      }
      entered[i] = true;
    } catch (const ZkError& e) {
      if (e.code() != Code::NoNode) throw;  // the members before this one have entered
    }
  }
  return entered;
}

std::optional<std::string> QueueMember::findOwnNode() {
  auto names = session_->children(dir_);
  if (!names) return std::nullopt;
  for (const auto& name : *names) {
    if (name.rfind(ownPrefix_, 0) == 0) return name;
  }
  return std::nullopt;
}

void QueueMember::beforeWatchingPredecessor(std::function<void(const std::string&)> hook) {
  std::lock_guard lock(mutex_);
  beforeWatchHook_ = std::move(hook);
}

QueueMember::State QueueMember::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

void QueueMember::noteFirst(const std::string& name) {
  std::lock_guard lock(mutex_);
  if (position_ && !position_->first && position_->predecessor == name) position_->index = 1;
}

bool QueueMember::ownNodeWatched() const {
  const auto armedAt = ownNodeArmedAt_.load();
  return armedAt >= 0 && static_cast<uint64_t>(armedAt) == ownNodeEvents_.load();
}

void QueueMember::watchOwnNode() {
  const std::string own = nodePath();
  if (own.empty() || ownNodeWatched()) return;
  const auto eventsBefore = ownNodeEvents_.load();
  try {
    // Counted early: a fast path taken on the client's thread must see it fired.
    auto present = session_->get(
        own,
        EarlyWatcher{[weak = weak_from_this()](const WatchEvent&) {
          if (auto self = weak.lock()) ++self->ownNodeEvents_;
        }},
        [weak = weak_from_this()](const WatchEvent& event) {
          auto self = weak.lock();
          if (!self || !self->active_) return;
          // Deleted: the queue read tells a destroyed directory from a removed node.
          if (event.type == EventType::Deleted) return self->evaluate();
          self->watchOwnNode();
        });
    // A missing node (no watch was left) is reported by the queue read that follows.
    ownNodeArmedAt_ = present ? static_cast<int64_t>(eventsBefore) : -1;
  } catch (const ZkError& e) {
    // A connection loss arms it on reconnect; a lost session is final.
    if (e.isSessionLost()) lose(LossReason::SessionExpired);
  }
}

bool QueueMember::promotes(const WatchEvent& event) const {
  // The lowest member left: no lower node can appear (sequences only grow), so we are first
  // without reading the queue. A destroyed queue or a removal of our node would have been reported
  // first by our own node's watch: the server sends a client's events in order, and destroyQueue()
  // removes the highest sequence first.
  return position_ && event.path == childPath(dir_, position_->predecessor) &&
         event.type == EventType::Deleted && position_->index == 1 && ownNodeWatched();
}

void QueueMember::onPredecessorEventEarly(const WatchEvent& event) {
  if (!active_ || !listener_.onFirstEarly) return;
  {
    std::lock_guard lock(mutex_);
    if (!promotes(event)) return;
  }
  listener_.onFirstEarly();
}

void QueueMember::onPredecessorEvent(const WatchEvent& event) {
  if (!active_) return;
  ++wakeups_;
  std::optional<Position> promoted;
  {
    std::lock_guard lock(mutex_);
    if (promotes(event)) {
      promoted = Position{true, 0, ""};
    } else if (position_ && event.path == childPath(dir_, position_->predecessor)) {
      position_.reset();  // the watch is spent: the next evaluation arms another
    }
    // Else a watch on a member we no longer follow (it left while we were cut off, and a read
    // since found it gone): the queue is read again below, to be safe.
  }
  if (promoted) return publish(*promoted, event.connection);
  evaluate();
}

void QueueMember::evaluate() {
  const std::string own = nodePath();
  if (own.empty()) return;
  const std::string ownName(nodeName(own));
  // Bounded: each round follows a member that left between two reads.
  for (int round = 0; round < 1000 && active_; ++round) {
    std::optional<std::vector<std::string>> names;
    try {
      ++positionReads_;
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
      std::function<void(const std::string&)> hook;
      bool armed;
      {
        std::lock_guard lock(mutex_);
        armed = position_ && position_->predecessor == next.predecessor;
        hook = beforeWatchHook_;
      }
      // An armed watch fires when the predecessor goes: no need to look at it again.
      if (!armed) {
        const std::string predecessor = childPath(dir_, next.predecessor);
        if (hook) hook(predecessor);
        std::optional<Node> present;
        try {
          // getData, not exists: on a missing node exists() would leave a watch for its creation.
          EarlyWatcher early{[weak = weak_from_this()](const WatchEvent& event) {
            if (auto self = weak.lock()) self->onPredecessorEventEarly(event);
          }};
          present = session_->get(predecessor, std::move(early),
                                  [weak = weak_from_this()](const WatchEvent& event) {
                                    if (auto self = weak.lock()) self->onPredecessorEvent(event);
                                  });
        } catch (const ZkError& e) {
          if (e.isSessionLost()) lose(LossReason::SessionExpired);
          return;
        }
        if (!present) {
          ++predecessorsGone_;
          continue;  // it left between the two reads: look again
        }
      }
    }
    return publish(next);
  }
}

void QueueMember::publish(const Position& next, std::uint64_t toldBy) {
  bool moved;
  {
    std::lock_guard lock(mutex_);
    moved = !position_ || *position_ != next;
    position_ = next;
  }
  // Before the state: whoever sees us held sees how we learned it.
  heldThrough_ = toldBy;
  if (moved && active_ && listener_.onPosition) listener_.onPosition(next);
  // After a reconnect the position may be the same while the state is not (Suspended -> Held).
  setState(next.first ? State::Held : State::Queued);
}

void QueueMember::setState(State next) {
  if (!active_ && next != State::Lost) return;  // left or abandoned meanwhile: nothing to report
  {
    std::lock_guard lock(mutex_);
    if (state_ == next || state_ == State::Lost) return;
    state_ = next;
  }
  spdlog::debug("queue member {}: {}", nodePath(), toString(next));
  if (listener_.onState) listener_.onState(next);
}

void QueueMember::lose(LossReason reason) {
  if (!active_.exchange(false)) return;
  session_->removeStateListener(stateListener_);
  spdlog::info("queue member {} lost its place: {}", nodePath(), toString(reason));
  setState(State::Lost);
  if (listener_.onLost) listener_.onLost(reason);
}

void QueueMember::stop() {
  active_ = false;
  session_->removeStateListener(stateListener_);
  std::lock_guard lock(mutex_);
  state_ = State::Lost;
}

void QueueMember::abandon() {
  stop();
}

void QueueMember::leave() {
  stop();
  const std::string own = nodePath();
  if (!own.empty()) removeWhenConnected(session_, own);
}

const char* toString(QueueMember::State state) {
  switch (state) {
    case QueueMember::State::Queued:
      return "queued";
    case QueueMember::State::Held:
      return "held";
    case QueueMember::State::Suspended:
      return "suspended";
    case QueueMember::State::Lost:
      return "lost";
  }
  return "?";
}

}  // namespace sm::zk

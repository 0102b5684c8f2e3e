#include "manager/zk/election.hpp"

#include <spdlog/spdlog.h>

#include "manager/zk/path.hpp"
#include "manager/zk/sequential_name.hpp"

namespace sm::zk {

struct Election::Shared {
  std::string dir;
  Callbacks callbacks;

  std::mutex mutex;
  std::shared_ptr<QueueMember> member;
  uint64_t generation = 0;  // of member: callbacks of a member we no longer follow are dropped
  std::optional<int64_t> epoch;

  // Held while a user callback runs; once the destructor has set `closed` under it, none runs.
  std::recursive_mutex calling;
  bool closed = false;

  // For a callback of generation `of`: false when that member is no longer ours; else we are not
  // master (any more) and the callback goes on.
  bool standDown(uint64_t of) {
    std::lock_guard lock(mutex);
    if (of != generation || !member) return false;
    epoch.reset();
    return true;
  }
  // Our member of generation `of` is first: its sequence becomes the epoch and onMaster is told.
  // Nullopt when that member is no longer ours.
  std::optional<int64_t> becomeMaster(uint64_t of) {
    int64_t value = -1;
    {
      std::lock_guard lock(mutex);
      if (of != generation || !member) return std::nullopt;
      value = member->sequence();
      epoch = value;
    }
    call([&] {
      if (callbacks.onMaster) callbacks.onMaster(value);
    });
    return value;
  }
  template <class Callback>
  void call(const Callback& callback) {
    std::lock_guard lock(calling);
    if (!closed) callback();
  }
};

Election::Election(std::shared_ptr<Session> session, std::string dir, std::string data,
                   Callbacks callbacks, std::string prefix)
    : session_(std::move(session)),
      dir_(std::move(dir)),
      data_(std::move(data)),
      prefix_(std::move(prefix)),
      shared_(std::make_shared<Shared>()) {
  shared_->dir = dir_;
  shared_->callbacks = std::move(callbacks);
}

Election::~Election() {
  try {
    leave();
  } catch (const std::exception& e) {
    spdlog::warn("leaving election {} failed: {}", dir_, e.what());
  }
  std::lock_guard lock(shared_->calling);
  shared_->closed = true;
}

void Election::join() {
  if (auto member = newMember()) member->enter();
}

void Election::follow(const std::string& nodePath) {
  if (auto member = newMember()) member->adopt(nodePath);
}

std::shared_ptr<QueueMember> Election::newMember() {
  std::lock_guard lock(shared_->mutex);
  if (shared_->member && shared_->member->active()) return nullptr;
  shared_->epoch.reset();
  const uint64_t generation = ++shared_->generation;
  std::weak_ptr<Shared> weak = shared_;
  QueueMember::Listener listener;
  listener.onState = [weak, generation](QueueMember::State state) {
    auto shared = weak.lock();
    if (!shared) return;
    if (state == QueueMember::State::Held) {
      const auto epoch = shared->becomeMaster(generation);
      // Logged after the news, which the failover waits for.
      if (epoch) spdlog::info("election {}: master, epoch {}", shared->dir, *epoch);
    } else if (state == QueueMember::State::Suspended) {
      if (!shared->standDown(generation)) return;
      spdlog::warn("election {}: connection lost, not acting as master until sure", shared->dir);
      shared->call([&] {
        if (shared->callbacks.onSuspended) shared->callbacks.onSuspended();
      });
    }
  };
  if (shared_->callbacks.masterEarly) {
    listener.onFirstEarly = [weak, generation] {
      if (auto shared = weak.lock()) shared->becomeMaster(generation);
    };
  }
  listener.onPosition = [weak, generation](const QueueMember::Position& position) {
    auto shared = weak.lock();
    if (!shared || position.first || !shared->standDown(generation)) return;
    shared->call([&] {
      if (shared->callbacks.onSecondary) shared->callbacks.onSecondary(position.predecessor);
    });
  };
  listener.onLost = [weak, generation](LossReason reason) {
    auto shared = weak.lock();
    if (!shared || !shared->standDown(generation)) return;
    shared->call([&] {
      if (shared->callbacks.onLost) shared->callbacks.onLost(reason);
    });
  };
  shared_->member = QueueMember::make(session_, dir_, prefix_, data_, std::move(listener));
  return shared_->member;
}

std::shared_ptr<QueueMember> Election::takeMember() {
  std::lock_guard lock(shared_->mutex);
  shared_->epoch.reset();
  ++shared_->generation;
  return std::move(shared_->member);
}

void Election::abandon() {
  if (auto member = takeMember()) member->abandon();
}

void Election::leave() {
  if (auto member = takeMember()) member->leave();
}

void Election::noteMaster(const std::string& name) {
  std::lock_guard lock(shared_->mutex);  // as nodePath(): the member's own lock nests inside
  if (shared_->member) shared_->member->noteFirst(name);
}

bool Election::isMaster() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->epoch.has_value();
}

std::optional<int64_t> Election::epoch() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->epoch;
}

std::string Election::nodePath() const {
  std::lock_guard lock(shared_->mutex);
  return shared_->member ? shared_->member->nodePath() : "";
}

std::vector<Election::Member> Election::members(Session& session, const std::string& dir,
                                                const std::string& prefix) {
  std::vector<Member> result;
  auto names = session.children(dir);
  if (!names) return result;
  for (auto& entry : queueOrder(*names, prefix)) {
    auto node = session.get(childPath(dir, entry.name));
    if (!node) continue;  // left while we read
    result.push_back({entry.name, entry.sequence, std::move(node->data)});
  }
  return result;
}

}  // namespace sm::zk

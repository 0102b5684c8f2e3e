#include "manager/zk/lock.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "manager/zk/path.hpp"
#include "manager/zk/queue_destroy.hpp"
#include "manager/zk/sequential_name.hpp"

namespace sm::zk {

LockDestroyed::LockDestroyed(const std::string& dir)
    : std::runtime_error(fmt::format("lock {} was destroyed", dir)) {}

Lock::Lock(std::shared_ptr<Session> session, std::string dir)
    : Lock(std::move(session), std::move(dir), Options{}) {}

Lock::Lock(std::shared_ptr<Session> session, std::string dir, Options options)
    : session_(std::move(session)), dir_(std::move(dir)), options_(std::move(options)) {}

Lock::~Lock() {
  try {
    release();
    // Our callbacks capture this object: let any that is running or queued finish first.
    session_->drain();
  } catch (const std::exception& e) {
    spdlog::warn("releasing lock {} failed: {}", dir_, e.what());
  }
}

bool Lock::acquire(std::chrono::milliseconds timeout) {
  if (session_->onDispatcherThread()) {
    throw std::logic_error("Lock::acquire on the session's dispatcher thread would wait forever");
  }
  std::shared_ptr<QueueMember> member;
  {
    std::lock_guard lock(mutex_);
    if (held_) return true;
    lost_.reset();
    QueueMember::Listener listener;
    listener.onState = [this](QueueMember::State state) {
      {
        std::lock_guard lock(mutex_);
        held_ = state == QueueMember::State::Held;  // not while Suspended
      }
      changed_.notify_all();
    };
    listener.onLost = [this](LossReason reason) {
      std::function<void(LossReason)> callback;
      {
        std::lock_guard lock(mutex_);
        held_ = false;
        lost_ = reason;
        callback = onLost_;
      }
      changed_.notify_all();
      if (callback) callback(reason);
    };
    member_ =
        QueueMember::make(session_, dir_, options_.prefix, options_.data, std::move(listener));
    member = member_;
  }
  member->enter();
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return held_ || lost_.has_value(); });
  if (held_) return true;
  auto lost = lost_;
  lock.unlock();
  member->leave();
  if (lost == LossReason::Destroyed) throw LockDestroyed(dir_);
  if (lost == LossReason::SessionExpired) throw ZkError(Code::SessionExpired, "lock", dir_);
  return false;
}

void Lock::release() {
  std::shared_ptr<QueueMember> member;
  {
    std::lock_guard lock(mutex_);
    member = std::move(member_);
    held_ = false;
  }
  if (member) member->leave();
}

bool Lock::held() const {
  std::lock_guard lock(mutex_);
  return held_;
}

bool Lock::verifyHeld() {
  auto member = this->member();
  if (!member || !held()) return false;
  const std::string own = member->nodePath();
  session_->sync(dir_);
  auto node = session_->exists(own);
  if (!node || node->ephemeralOwner != session_->id()) return false;
  auto names = session_->children(dir_);
  if (!names) return false;
  auto order = queueOrder(*names, options_.prefix);
  return !order.empty() && order.front().name == nodeName(own);
}

void Lock::onLost(std::function<void(LossReason)> callback) {
  std::lock_guard lock(mutex_);
  onLost_ = std::move(callback);
}

std::string Lock::nodePath() const {
  auto member = this->member();
  return member ? member->nodePath() : "";
}

uint64_t Lock::wakeups() const {
  auto member = this->member();
  return member ? member->wakeups() : 0;
}

std::shared_ptr<QueueMember> Lock::member() const {
  std::lock_guard lock(mutex_);
  return member_;
}

bool Lock::destroy(Session& session, const std::string& dir) {
  return destroyQueue(session, dir);
}

}  // namespace sm::zk

#include "manager/zk/child_retention.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <vector>

#include "manager/zk/error.hpp"
#include "manager/zk/path.hpp"
#include "manager/zk/sequential_name.hpp"

namespace sm::zk {

void ChildRetention::Wakeup::poke() {
  {
    std::lock_guard lock(mutex);
    poked = true;
  }
  changed.notify_one();
}

ChildRetention::ChildRetention(std::shared_ptr<Session> session, Options options)
    : session_(std::move(session)), options_(std::move(options)) {}

ChildRetention::~ChildRetention() {
  {
    std::lock_guard lock(wakeup_->mutex);
    wakeup_->stopping = true;
  }
  wakeup_->changed.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard lock(memberMutex_);
  if (member_ && member_->active()) {
    try {
      member_->leave();  // one attempt, never waits for a connection
    } catch (const std::exception&) {
      // Gone with the session all the same.
    }
  }
}

void ChildRetention::start() {
  wakeup_->poke();  // queue at once
  thread_ = std::thread([this] { run(); });
}

void ChildRetention::poke() {
  wakeup_->poke();
}

bool ChildRetention::held() const {
  std::lock_guard lock(memberMutex_);
  return member_ && member_->held();
}

void ChildRetention::run() {
  auto& w = *wakeup_;
  auto nextRound = std::chrono::steady_clock::now();
  for (;;) {
    {
      std::unique_lock lock(w.mutex);
      w.changed.wait(lock, [&] { return w.poked || w.stopping; });
      // At most one round per interval: a stream of new children is one listing per interval.
      w.changed.wait_until(lock, nextRound, [&] { return w.stopping; });
      if (w.stopping) return;
      w.poked = false;
    }
    nextRound = std::chrono::steady_clock::now() + options_.interval;
    if (!session_->usable()) return;       // expired or closed: the owner makes a new one
    if (!session_->connected()) continue;  // our place's reconnect pokes us (Held again)
    try {
      trimOnce();
    } catch (const ZkError& e) {
      if (e.isSessionLost()) return;
      // A connection loss: our place is re-read on reconnect, and a held one pokes us again.
      spdlog::debug("trimming {}: {}", options_.dir, e.what());
    } catch (const std::exception& e) {
      spdlog::warn("trimming {}: {}", options_.dir, e.what());
    }
  }
}

void ChildRetention::ensureQueued() {
  std::lock_guard lock(memberMutex_);
  if (member_ && member_->active()) return;
  session_->ensurePath(options_.lockDir);
  std::weak_ptr<Wakeup> weak = wakeup_;
  QueueMember::Listener listener;
  listener.onPosition = [](const QueueMember::Position&) {};
  listener.onLost = [weak](LossReason) {
    if (auto w = weak.lock()) w->poke();  // queue again
  };
  listener.onState = [weak](QueueMember::State state) {
    if (state != QueueMember::State::Held) return;
    if (auto w = weak.lock()) {
      // A watch left before a connection loss may be gone with it: leave one again.
      w->watchArmed = false;
      w->poke();
    }
  };
  auto member = QueueMember::make(session_, options_.lockDir, options_.lockPrefix,
                                  options_.lockData, listener);
  member->enter();
  member_ = std::move(member);
}

std::size_t ChildRetention::trimOnce() {
  ensureQueued();
  std::size_t total = 0;
  // Until bounded: a flood may add children while we remove.
  for (;;) {
    const auto removed = trim();
    total += removed;
    if (removed == 0) return total;
  }
}

std::optional<std::vector<std::string>> ChildRetention::childrenOverLimit() {
  auto& w = *wakeup_;
  if (!w.watchArmed.exchange(true)) {
    std::weak_ptr<Wakeup> weak = wakeup_;
    std::optional<std::vector<std::string>> children;
    try {
      children = session_->children(options_.dir, [weak](const WatchEvent&) {
        if (auto wakeup = weak.lock()) {
          wakeup->watchArmed = false;
          wakeup->poke();
        }
      });
    } catch (...) {
      w.watchArmed = false;
      throw;
    }
    if (!children) w.watchArmed = false;  // no directory: no watch left
    if (!children || children->size() <= limit()) return std::nullopt;
    return children;
  }
  // A watch is armed already: count first (one small reply), list only when over.
  const auto stat = session_->exists(options_.dir);
  if (!stat || static_cast<std::size_t>(stat->numChildren) <= limit()) return std::nullopt;
  return session_->children(options_.dir);
}

std::size_t ChildRetention::trim() {
  std::shared_ptr<QueueMember> member;
  {
    std::lock_guard lock(memberMutex_);
    member = member_;
  }
  if (!member || !member->held()) return 0;
  const auto children = childrenOverLimit();
  if (!children) return 0;
  const auto entries = queueOrder(*children, options_.childPrefix);
  if (entries.size() <= options_.keep) return 0;
  const auto excess = entries.size() - options_.keep;
  std::size_t removed = 0;
  for (std::size_t begin = 0; begin < excess; begin += options_.batch) {
    const auto end = std::min(excess, begin + options_.batch);
    std::vector<Op> ops{member->fence()};
    for (auto i = begin; i < end; ++i) {
      ops.push_back(Op::remove(childPath(options_.dir, entries[i].name)));
    }
    try {
      session_->multi(ops);
    } catch (const MultiError& e) {
      // Our place is gone (the fence), or a child went meanwhile (removed by hand): nothing was
      // removed; the next round reads again rather than guess.
      if (e.failedIndex() == 0) spdlog::info("lost {}: trimming stops", options_.lockDir);
      break;
    }
    removed += end - begin;
    removed_ += end - begin;
  }
  if (removed > 0) spdlog::debug("removed the {} oldest children of {}", removed, options_.dir);
  return removed;
}

}  // namespace sm::zk

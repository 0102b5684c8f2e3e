#include "manager/daemon/loop_inbox.hpp"

namespace sm::daemon {

void LoopInbox::post(LoopEvent event) {
  {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
  }
  changed_.notify_one();
}

void LoopInbox::wake() {
  {
    std::lock_guard lock(mutex_);
    passWanted_ = true;
  }
  changed_.notify_one();
}

void LoopInbox::requestStop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
}

bool LoopInbox::stopping() const {
  std::lock_guard lock(mutex_);
  return stopping_;
}

LoopInbox::Batch LoopInbox::wait(std::optional<std::chrono::steady_clock::time_point> until) {
  std::unique_lock lock(mutex_);
  auto ready = [&] { return stopping_ || passWanted_ || !events_.empty(); };
  if (until) {
    // A timer that is due asks for a pass as much as a wake-up does.
    if (!changed_.wait_until(lock, *until, ready)) passWanted_ = true;
  } else {
    changed_.wait(lock, ready);
  }
  Batch batch;
  batch.events.assign(std::make_move_iterator(events_.begin()),
                      std::make_move_iterator(events_.end()));
  events_.clear();
  batch.passWanted = passWanted_;
  passWanted_ = false;
  return batch;
}

void LoopInbox::waitForStop(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return stopping_; });
}

}  // namespace sm::daemon

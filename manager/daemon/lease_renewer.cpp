#include "manager/daemon/lease_renewer.hpp"

#include <spdlog/spdlog.h>

namespace sm::daemon {

LeaseRenewer::LeaseRenewer(MasterLease& lease, LoopInbox& inbox)
    : LeaseRenewer(lease,
                   [&inbox](std::uint64_t deadlineNs) { inbox.post(LeaseEvent{deadlineNs}); }) {}

LeaseRenewer::LeaseRenewer(MasterLease& lease, std::function<void(std::uint64_t)> sink,
                           std::chrono::milliseconds period)
    : lease_(lease), sink_(std::move(sink)), period_(period), thread_([this] { run(); }) {}

LeaseRenewer::~LeaseRenewer() {
  stop();
}

void LeaseRenewer::setActive(bool active) {
  if (active_.exchange(active) != active && active) renewNow();
}

void LeaseRenewer::renewNow() {
  {
    std::lock_guard lock(mutex_);
    now_ = true;
  }
  changed_.notify_all();
}

void LeaseRenewer::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void LeaseRenewer::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    const auto period = period_.count() > 0 ? period_ : lease_.sessionTimeout() / 4;
    changed_.wait_for(lock, period, [&] { return stopping_ || now_; });
    if (stopping_) return;
    now_ = false;
    if (!active_) continue;
    lock.unlock();
    try {
      sink_(lease_.renew());
    } catch (const std::exception& e) {
      // The thread must outlive a failed round (a lease then simply lapses): log and go on.
      spdlog::error("renewing the master lease failed: {}", e.what());
    }
    lock.lock();
  }
}

}  // namespace sm::daemon

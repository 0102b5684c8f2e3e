#include "manager/daemon/loop_inbox.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace sm::daemon {

namespace {

using Clock = std::chrono::steady_clock;

// steady_clock is CLOCK_MONOTONIC, the clock of the timer and of ppoll's timeout.
timespec toTimespec(Clock::duration d) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
  return timespec{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
}

void drain(int fd) {
  std::uint64_t count;
  while (::read(fd, &count, sizeof count) > 0) {
  }
}

}  // namespace

LoopInbox::LoopInbox(std::chrono::milliseconds passSettle) : passSettle_(passSettle) {
  signalFd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  timerFd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (signalFd_ < 0 || timerFd_ < 0) {
    const int error = errno;
    if (signalFd_ >= 0) ::close(signalFd_);
    if (timerFd_ >= 0) ::close(timerFd_);
    throw std::system_error(error, std::generic_category(), "loop inbox: eventfd/timerfd");
  }
}

LoopInbox::~LoopInbox() {
  ::close(signalFd_);
  ::close(timerFd_);
}

void LoopInbox::signal() {
  const std::uint64_t one = 1;
  // Cannot fail short of a counter at its maximum, which a pending signal never reaches.
  [[maybe_unused]] auto written = ::write(signalFd_, &one, sizeof one);
}

void LoopInbox::armTimer(std::optional<Clock::time_point> at) {
  itimerspec spec{};
  // Zero disarms; a due time already past fires at once.
  if (at) spec.it_value = toTimespec(std::max(at->time_since_epoch(), Clock::duration(1)));
  ::timerfd_settime(timerFd_, TFD_TIMER_ABSTIME, &spec, nullptr);
}

void LoopInbox::post(LoopEvent event) {
  {
    std::lock_guard lock(mutex_);
    events_.push_back(std::move(event));
  }
  signal();
}

void LoopInbox::wake() {
  {
    std::lock_guard lock(mutex_);
    passWanted_ = true;
  }
  signal();
}

void LoopInbox::wakeSoon() {
  std::lock_guard lock(mutex_);
  // The first change sets the time: later ones in the burst do not put the pass off.
  if (soonPassAt_) return;
  soonPassAt_ = Clock::now() + passSettle_;
  armTimer(soonPassAt_);  // under the lock: a pass that serves it disarms after, never before
}

void LoopInbox::setPassSettle(std::chrono::milliseconds settle) {
  std::lock_guard lock(mutex_);
  passSettle_ = settle;
}

void LoopInbox::requestStop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  signal();
}

bool LoopInbox::stopping() const {
  std::lock_guard lock(mutex_);
  return stopping_;
}

void LoopInbox::sleep(std::optional<Clock::time_point> until) {
  pollfd fds[2] = {{signalFd_, POLLIN, 0}, {timerFd_, POLLIN, 0}};
  timespec timeout{};
  if (until) timeout = toTimespec(std::max(*until - Clock::now(), Clock::duration::zero()));
  ::ppoll(fds, 2, until ? &timeout : nullptr, nullptr);
  drain(signalFd_);
  drain(timerFd_);
}

LoopInbox::Batch LoopInbox::wait(std::optional<Clock::time_point> until,
                                 std::optional<Clock::time_point> wakeAt) {
  for (;;) {
    {
      std::lock_guard lock(mutex_);
      const auto now = Clock::now();
      // A timer or a settled change that is due asks for a pass as much as a wake-up does.
      if ((until && now >= *until) || (soonPassAt_ && now >= *soonPassAt_)) passWanted_ = true;
      if (stopping_ || passWanted_ || !events_.empty() || (wakeAt && now >= *wakeAt)) {
        Batch batch;
        batch.events.assign(std::make_move_iterator(events_.begin()),
                            std::make_move_iterator(events_.end()));
        events_.clear();
        batch.passWanted = passWanted_;
        passWanted_ = false;
        // The pass reads the whole tree: every change so far is in it.
        if (batch.passWanted && soonPassAt_) {
          soonPassAt_.reset();
          armTimer(std::nullopt);
        }
        return batch;
      }
    }
    sleep(until && wakeAt ? std::min(*until, *wakeAt) : until ? until : wakeAt);
  }
}

void LoopInbox::waitForStop(std::chrono::milliseconds timeout) {
  const auto until = Clock::now() + timeout;
  while (!stopping() && Clock::now() < until) sleep(until);
}

}  // namespace sm::daemon

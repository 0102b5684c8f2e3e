#include "manager/supervisor/event_loop.hpp"

#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace sm::supervisor {

namespace {
constexpr std::uint64_t kWakeKey = 0;

void throwErrno(const char* what) {
  throw std::system_error(errno, std::system_category(), what);
}
}  // namespace

EventLoop::EventLoop() {
  epollFd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epollFd_ < 0) throwErrno("epoll_create1");
  wakeFd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wakeFd_ < 0) throwErrno("eventfd");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = kWakeKey;
  if (epoll_ctl(epollFd_, EPOLL_CTL_ADD, wakeFd_, &ev) != 0) throwErrno("epoll_ctl(eventfd)");
  std::promise<void> started;
  auto startedFuture = started.get_future();
  thread_ = std::thread([this, &started] {
    threadId_ = std::this_thread::get_id();
    started.set_value();
    run();
  });
  startedFuture.wait();
}

EventLoop::~EventLoop() {
  stop();
  close(wakeFd_);
  close(epollFd_);
}

bool EventLoop::post(Task task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return false;
    pending_.push_back(std::move(task));
  }
  std::uint64_t one = 1;
  [[maybe_unused]] auto written = write(wakeFd_, &one, sizeof one);
  return true;
}

void EventLoop::stop() {
  if (inLoopThread())
    throw std::logic_error("EventLoop::stop() from its own thread would join itself");
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return;
    stopping_ = true;
    stopped_ = true;
  }
  std::uint64_t one = 1;
  [[maybe_unused]] auto written = write(wakeFd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
}

EventLoop::WatchId EventLoop::watchFd(int fd, std::uint32_t events, FdHandler handler) {
  WatchId id = nextWatch_++;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = id;
  if (epoll_ctl(epollFd_, EPOLL_CTL_ADD, fd, &ev) != 0) throwErrno("epoll_ctl(add)");
  watches_.emplace(id, Watch{fd, std::move(handler)});
  return id;
}

void EventLoop::unwatchFd(WatchId id) {
  auto it = watches_.find(id);
  if (it == watches_.end()) return;
  epoll_ctl(epollFd_, EPOLL_CTL_DEL, it->second.fd, nullptr);
  watches_.erase(it);
}

EventLoop::TimerId EventLoop::addTimer(Clock::duration delay, Task task) {
  TimerId id = nextTimer_++;
  auto it = timers_.emplace(Clock::now() + delay, std::make_pair(id, std::move(task)));
  timerIndex_.emplace(id, it);
  return id;
}

void EventLoop::cancelTimer(TimerId id) {
  auto it = timerIndex_.find(id);
  if (it == timerIndex_.end()) return;
  timers_.erase(it->second);
  timerIndex_.erase(it);
}

int EventLoop::nextTimeoutMs() const {
  if (timers_.empty()) return -1;
  auto wait = timers_.begin()->first - Clock::now();
  if (wait <= Clock::duration::zero()) return 0;
  // Round up so that a timer never fires early.
  return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(wait).count());
}

void EventLoop::runPending() {
  std::vector<Task> tasks;
  {
    std::lock_guard lock(mutex_);
    tasks.swap(pending_);
  }
  for (auto& task : tasks) {
    try {
      task();
    } catch (const std::exception& e) {
      spdlog::error("supervisor loop: task failed: {}", e.what());
    }
  }
}

void EventLoop::runDueTimers() {
  auto now = Clock::now();
  while (!timers_.empty() && timers_.begin()->first <= now) {
    auto node = timers_.extract(timers_.begin());
    timerIndex_.erase(node.mapped().first);
    try {
      node.mapped().second();
    } catch (const std::exception& e) {
      spdlog::error("supervisor loop: timer failed: {}", e.what());
    }
  }
}

void EventLoop::run() {
  constexpr int kMaxEvents = 64;
  epoll_event events[kMaxEvents];
  for (;;) {
    int n = epoll_wait(epollFd_, events, kMaxEvents, nextTimeoutMs());
    if (n < 0 && errno != EINTR) {
      spdlog::critical("supervisor loop: epoll_wait failed: {}", std::strerror(errno));
      return;
    }
    for (int i = 0; i < n; ++i) {
      if (events[i].data.u64 == kWakeKey) {
        std::uint64_t count;
        [[maybe_unused]] auto r = read(wakeFd_, &count, sizeof count);
        continue;
      }
      // Looked up per event: an earlier handler in this batch may have removed this watch.
      auto it = watches_.find(events[i].data.u64);
      if (it == watches_.end()) continue;
      auto handler = it->second.handler;  // a copy: the handler may unwatch itself
      try {
        handler(events[i].events);
      } catch (const std::exception& e) {
        spdlog::error("supervisor loop: fd handler failed: {}", e.what());
      }
    }
    runDueTimers();
    runPending();
    std::lock_guard lock(mutex_);
    if (stopping_ && pending_.empty()) return;
  }
}

}  // namespace sm::supervisor

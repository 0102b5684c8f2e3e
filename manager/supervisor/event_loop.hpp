#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace sm::supervisor {

// One thread owning an epoll set, posted tasks and timers; all process handling runs on it.
// It matters which thread forks: PR_SET_PDEATHSIG fires when the *thread* that forked a child
// exits, so children are forked here, by a thread that lives exactly as long as the supervisor.
class EventLoop {
 public:
  using Clock = std::chrono::steady_clock;
  using Task = std::function<void()>;
  using FdHandler = std::function<void(std::uint32_t events)>;
  using WatchId = std::uint64_t;
  using TimerId = std::uint64_t;

  EventLoop();
  ~EventLoop();  // stop()
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Any thread. Returns false when the loop has stopped (the task is dropped).
  bool post(Task task);
  // Runs `fn` on the loop and waits for its result; inline when already on the loop thread.
  template <class Fn>
  auto call(Fn fn) -> std::invoke_result_t<Fn>;
  bool inLoopThread() const { return std::this_thread::get_id() == threadId_; }
  // Runs the tasks already posted, then ends the thread and joins it. Not from the loop thread.
  void stop();

  // Loop thread only. Handlers may add or remove watches and timers, including their own.
  WatchId watchFd(int fd, std::uint32_t events, FdHandler handler);
  void unwatchFd(WatchId id);
  TimerId addTimer(Clock::duration delay, Task task);
  void cancelTimer(TimerId id);

 private:
  void run();
  void runPending();
  void runDueTimers();
  int nextTimeoutMs() const;

  int epollFd_ = -1;
  int wakeFd_ = -1;
  std::mutex mutex_;
  std::vector<Task> pending_;
  bool stopping_ = false;
  bool stopped_ = false;

  struct Watch {
    int fd;
    FdHandler handler;
  };
  std::unordered_map<WatchId, Watch> watches_;
  WatchId nextWatch_ = 1;

  using TimerQueue = std::multimap<Clock::time_point, std::pair<TimerId, Task>>;
  TimerQueue timers_;
  std::unordered_map<TimerId, TimerQueue::iterator> timerIndex_;
  TimerId nextTimer_ = 1;

  std::thread::id threadId_;
  std::thread thread_;
};

template <class Fn>
auto EventLoop::call(Fn fn) -> std::invoke_result_t<Fn> {
  using Result = std::invoke_result_t<Fn>;
  if (inLoopThread()) return fn();
  auto promise = std::make_shared<std::promise<Result>>();
  auto future = promise->get_future();
  bool posted = post([promise, fn = std::move(fn)]() mutable {
    try {
      if constexpr (std::is_void_v<Result>) {
        fn();
        promise->set_value();
      } else {
        promise->set_value(fn());
      }
    } catch (...) {
      promise->set_exception(std::current_exception());
    }
  });
  if (!posted) throw std::runtime_error("supervisor event loop has stopped");
  return future.get();
}

}  // namespace sm::supervisor

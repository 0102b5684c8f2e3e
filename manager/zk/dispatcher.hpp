#pragma once
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace sm::zk {

// One thread that runs posted tasks in order. The C client calls watchers on its own completion
// thread, where a synchronous ZooKeeper call would deadlock; the session hands every watch and
// state event to a Dispatcher instead, so callbacks may block and call ZooKeeper freely.
class Dispatcher {
 public:
  Dispatcher();
  ~Dispatcher();
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  // Returns false (and drops the task) once stopped.
  bool post(std::function<void()> task);
  // Runs what is queued, then ends the thread. From the dispatcher's own thread (a callback that
  // drops the last owner) it cannot join itself, so it lets the thread finish on its own.
  void stop();
  bool onDispatcherThread() const;

 private:
  struct Queue {
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<std::function<void()>> tasks;
    bool stopping = false;
  };
  static void run(std::shared_ptr<Queue> queue);

  std::shared_ptr<Queue> queue_;
  std::thread thread_;
};

}  // namespace sm::zk

#include "manager/zk/dispatcher.hpp"

#include <spdlog/spdlog.h>

namespace sm::zk {

Dispatcher::Dispatcher() : queue_(std::make_shared<Queue>()), thread_(&Dispatcher::run, queue_) {}

Dispatcher::~Dispatcher() {
  stop();
}

bool Dispatcher::post(std::function<void()> task) {
  {
    std::lock_guard lock(queue_->mutex);
    if (queue_->stopping) return false;
    queue_->tasks.push_back(std::move(task));
  }
  queue_->wake.notify_one();
  return true;
}

void Dispatcher::stop() {
  {
    std::lock_guard lock(queue_->mutex);
    queue_->stopping = true;
  }
  queue_->wake.notify_one();
  if (!thread_.joinable()) return;
  if (onDispatcherThread()) {
    thread_.detach();
  } else {
    thread_.join();
  }
}

bool Dispatcher::onDispatcherThread() const {
  return std::this_thread::get_id() == thread_.get_id();
}

void Dispatcher::run(std::shared_ptr<Queue> queue) {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(queue->mutex);
      queue->wake.wait(lock, [&] { return queue->stopping || !queue->tasks.empty(); });
      if (queue->tasks.empty()) return;
      task = std::move(queue->tasks.front());
      queue->tasks.pop_front();
    }
    try {
      task();
    } catch (const std::exception& e) {
      // A callback's failure must not take the session's event delivery down with it.
      spdlog::error("zookeeper callback failed: {}", e.what());
    }
  }
}

}  // namespace sm::zk

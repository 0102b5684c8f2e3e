#include "examples/recipes/work_queue.hpp"

#include <condition_variable>
#include <mutex>

#include "manager/zk/error.hpp"
#include "manager/zk/path.hpp"
#include "manager/zk/sequential_name.hpp"

namespace sm::recipes {

WorkQueue::WorkQueue(std::shared_ptr<zk::Session> session, std::string dir, std::string prefix)
    : session_(std::move(session)), dir_(std::move(dir)), prefix_(std::move(prefix)) {}

std::string WorkQueue::put(const std::string& data) {
  const auto path =
      session_->create(zk::childPath(dir_, prefix_), data, zk::CreateMode::PersistentSequential);
  return path.substr(path.rfind('/') + 1);
}

std::optional<WorkQueue::Item> WorkQueue::tryTake(const zk::Watcher& watcher) {
  auto children = session_->children(dir_, watcher);
  if (!children) throw zk::ZkError(zk::Code::NoNode, "children", dir_);
  for (const auto& entry : zk::queueOrder(*children, prefix_)) {
    const auto path = zk::childPath(dir_, entry.name);
    auto node = session_->get(path);
    if (!node) continue;  // another consumer took it meanwhile
    try {
      session_->remove(path, node->stat.version);
      return Item{entry.name, node->data};
    } catch (const zk::ZkError& e) {
      if (e.code() != zk::Code::NoNode && e.code() != zk::Code::BadVersion) throw;
    }
  }
  return std::nullopt;
}

std::optional<WorkQueue::Item> WorkQueue::take(std::chrono::milliseconds timeout,
                                               const std::function<void()>& onWait) {
  struct Signal {
    std::mutex mutex;
    std::condition_variable changed;
    bool fired = false;
  };
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool waiting = false;
  for (;;) {
    auto signal = std::make_shared<Signal>();
    auto watcher = [signal](const zk::WatchEvent&) {
      std::lock_guard lock(signal->mutex);
      signal->fired = true;
      signal->changed.notify_all();
    };
    if (auto item = tryTake(watcher)) return item;
    if (!waiting && onWait) onWait();
    waiting = true;
    std::unique_lock lock(signal->mutex);
    if (!signal->changed.wait_until(lock, deadline, [&] { return signal->fired; }))
      return std::nullopt;
  }
}

}  // namespace sm::recipes

#include "examples/recipes/barrier.hpp"

#include <condition_variable>
#include <mutex>

#include "manager/zk/error.hpp"

namespace sm::recipes {

Barrier::Barrier(std::shared_ptr<zk::Session> session, std::string path)
    : session_(std::move(session)), path_(std::move(path)) {}

void Barrier::raise(const std::string& data) {
  session_->create(path_, data, zk::CreateMode::Ephemeral);
}

void Barrier::lower() {
  try {
    session_->remove(path_);
  } catch (const zk::ZkError& e) {
    if (e.code() != zk::Code::NoNode) throw;
  }
}

bool Barrier::up() { return session_->exists(path_).has_value(); }

bool Barrier::waitDown(std::chrono::milliseconds timeout) {
  // Shared with the watcher, which may fire after this call returned.
  struct Signal {
    std::mutex mutex;
    std::condition_variable changed;
    bool fired = false;
  };
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto signal = std::make_shared<Signal>();
    auto watcher = [signal](const zk::WatchEvent&) {
      std::lock_guard lock(signal->mutex);
      signal->fired = true;
      signal->changed.notify_all();
    };
    if (!session_->exists(path_, watcher)) return true;
    std::unique_lock lock(signal->mutex);
    if (!signal->changed.wait_until(lock, deadline, [&] { return signal->fired; })) return false;
  }
}

}  // namespace sm::recipes

#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>

#include "config/layout.hpp"
#include "manager/daemon/event_recorder.hpp"
#include "manager/daemon/options.hpp"
#include "manager/zk/session.hpp"
#include "manager/zk/tree_cache.hpp"

namespace sm::daemon {

// What the parts of the daemon share. The session is replaced when one is lost; parts take the
// current one at the moment they use it (from any thread).
class DaemonContext {
 public:
  DaemonContext(DaemonOptions options, std::function<void()> wake,
                std::function<void()> wakeSoon)
      : options(std::move(options)),
        layout(this->options.root),
        wake(std::move(wake)),
        wakeSoon(std::move(wakeSoon)) {}

  std::shared_ptr<zk::Session> session() const {
    std::lock_guard lock(mutex_);
    return session_;
  }
  zk::TreeCache& tree() const { return *tree_; }
  // Installs a new session with a fresh cache (the old watches died with the old session).
  void setSession(std::shared_ptr<zk::Session> session) {
    auto tree = std::make_unique<zk::TreeCache>(session, wakeSoon);
    std::lock_guard lock(mutex_);
    session_ = std::move(session);
    tree_ = std::move(tree);
  }

  const DaemonOptions options;
  const config::Layout layout;
  const std::function<void()> wake;      // asks the reconcile loop for a pass now
  const std::function<void()> wakeSoon;  // a watch fired: a pass once the changes settled
  // What the parts did and saw, written to events/ by the loop (DaemonParts::flushEvents).
  EventRecorder events{options.hostId};

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<zk::Session> session_;
  std::unique_ptr<zk::TreeCache> tree_;
};

// Milliseconds since the Unix epoch, for the timestamps of the tree.
std::int64_t wallNowMs();

}  // namespace sm::daemon

#include "manager/zk/children_cache.hpp"

#include <spdlog/spdlog.h>

#include "manager/zk/path.hpp"

namespace sm::zk {

std::shared_ptr<ChildrenCache> ChildrenCache::make(std::shared_ptr<Session> session,
                                                   std::string path, Listener listener,
                                                   Options options) {
  return std::make_shared<ChildrenCache>(PrivateTag{}, std::move(session), std::move(path),
                                         std::move(listener), options);
}

std::shared_ptr<ChildrenCache> ChildrenCache::make(std::shared_ptr<Session> session,
                                                   std::string path, Listener listener) {
  return make(std::move(session), std::move(path), std::move(listener), Options{});
}

ChildrenCache::ChildrenCache(PrivateTag, std::shared_ptr<Session> session, std::string path,
                             Listener listener, Options options)
    : session_(std::move(session)),
      path_(std::move(path)),
      listener_(std::move(listener)),
      options_(options) {}

ChildrenCache::~ChildrenCache() {
  stop();
}

void ChildrenCache::start() {
  if (started_) return;
  started_ = true;
  running_ = true;
  auto weak = weak_from_this();
  stateListener_ = session_->addStateListener([weak](SessionState state) {
    auto self = weak.lock();
    if (self && state == SessionState::Connected) self->reread(true);
  });
  refresh();
}

void ChildrenCache::stop() {
  if (!running_.exchange(false)) return;
  session_->removeStateListener(stateListener_);
  session_->drain();
}

void ChildrenCache::refresh() {
  session_->post([weak = weak_from_this()] {
    if (auto self = weak.lock()) self->reread(true);
  });
}

ChildrenCache::Snapshot ChildrenCache::snapshot() const {
  std::lock_guard lock(mutex_);
  return current_;
}

bool ChildrenCache::exists() const {
  std::lock_guard lock(mutex_);
  return exists_;
}

uint64_t ChildrenCache::rereads() const {
  std::lock_guard lock(mutex_);
  return rereads_;
}

Watcher ChildrenCache::childrenWatcher() {
  return [weak = weak_from_this()](const WatchEvent&) {
    auto self = weak.lock();
    if (!self) return;
    self->childrenWatchArmed_ = false;
    self->reread(false);
  };
}

Watcher ChildrenCache::dataWatcher(const std::string& name) {
  return [weak = weak_from_this(), name](const WatchEvent&) {
    auto self = weak.lock();
    if (!self) return;
    self->dataWatchArmed_.erase(name);
    self->dirty_.insert(name);
    self->reread(false);
  };
}

void ChildrenCache::reread(bool full) {
  if (!running_) return;
  Snapshot next;
  bool nodeExists = false;
  try {
    // The children watch also fires when the node itself is deleted; while the node is missing
    // an exists() watch tells us when it comes back.
    auto names = session_->children(path_, childrenWatchArmed_ ? Watcher{} : childrenWatcher());
    if (names) {
      childrenWatchArmed_ = true;
      nodeExists = true;
    } else {
      childrenWatchArmed_ = false;
      if (session_->exists(path_, childrenWatcher())) {
        // Created between the two calls: read again at once.
        return reread(full);
      }
      names.emplace();
    }
    Snapshot known = snapshot();
    for (const auto& name : *names) {
      if (!options_.withData) {
        next.emplace(name, Child{});
        continue;
      }
      auto it = known.find(name);
      const bool armed = dataWatchArmed_.count(name) > 0;
      if (it != known.end() && armed && !full && !dirty_.count(name)) {
        next.emplace(name, it->second);
        continue;
      }
      auto node = session_->get(childPath(path_, name), armed ? Watcher{} : dataWatcher(name));
      if (!node) continue;  // gone since the list was read
      dataWatchArmed_.insert(name);
      next.emplace(name, Child{std::move(node->data), node->stat});
    }
    dirty_.clear();
  } catch (const ZkError& e) {
    // A reconnect re-reads everything; a lost session ends this cache (its owner makes a new one).
    if (!e.isConnectionLoss()) spdlog::warn("children cache {}: {}", path_, e.what());
    return;
  }

  Change change;
  Snapshot previous;
  {
    std::lock_guard lock(mutex_);
    ++rereads_;
    previous = current_;
  }
  for (const auto& [name, child] : next) {
    auto it = previous.find(name);
    if (it == previous.end()) {
      change.added.push_back(name);
    } else if (it->second.stat.mzxid != child.stat.mzxid || it->second.data != child.data) {
      change.updated.push_back(name);
    }
  }
  for (const auto& [name, child] : previous) {
    if (!next.count(name)) change.removed.push_back(name);
  }
  {
    std::lock_guard lock(mutex_);
    current_ = next;
    exists_ = nodeExists;
  }
  if (!change.empty() && running_ && listener_) listener_(next, change);
}

}  // namespace sm::zk

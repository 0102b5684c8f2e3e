#include "manager/zk/tree_cache.hpp"

#include <map>
#include <mutex>
#include <utility>

namespace sm::zk {

namespace {

// One aspect of a path (its data, or its children list) as last read.
template <typename T>
struct Cached {
  bool armed = false;       // a watch is set and has not fired: `value` is current
  std::uint64_t fired = 0;  // watch firings, to spot one that raced with the read it guards
  std::uint64_t takenIn = 0;  // the last pass that took `value` (read it, or found it current)
  std::optional<T> value;
};

struct Entry {
  Cached<Node> data;
  Cached<std::vector<std::string>> children;
  std::uint64_t pass = 0;
};

}  // namespace

struct TreeCache::State {
  std::mutex mutex;
  std::map<std::string, Entry> entries;
  std::uint64_t pass = 0;
  bool inPass = false;
  std::uint64_t serverReads = 0;
  Wake wake;

  // The watcher for one aspect of one path: it marks that aspect stale, then wakes the loop. It
  // runs on the client's own thread: a burst of changes (a failover fires watches in every
  // manager at once) then wakes no dispatcher, and no thread that a failover's events need.
  template <typename T>
  static EarlyWatcher watcher(const std::weak_ptr<State>& weak, std::string path,
                              Cached<T> Entry::*aspect) {
    return EarlyWatcher{[weak, path = std::move(path), aspect](const WatchEvent&) {
      auto self = weak.lock();
      if (!self) return;
      Wake wake;
      {
        std::lock_guard lock(self->mutex);
        auto it = self->entries.find(path);
        if (it != self->entries.end()) {
          auto& cached = it->second.*aspect;
          cached.armed = false;
          ++cached.fired;
        }
        wake = self->wake;  // under the lock: the cache's destructor clears it from another thread
      }
      if (wake) wake();
    }};
  }

  // Returns the cached value, or reads it with `read(watcherOrEmpty)` and caches it when no watch
  // fired during the read.
  template <typename T, typename Read>
  std::optional<T> readThrough(const std::string& path, Cached<T> Entry::*aspect, Read read) {
    std::uint64_t firedBefore;
    {
      std::lock_guard lock(mutex);
      auto& entry = entries[path];
      entry.pass = pass;
      auto& cached = entry.*aspect;
      if (take(cached)) return cached.value;
      firedBefore = cached.fired;
    }
    auto value = read();
    std::lock_guard lock(mutex);
    ++serverReads;
    keep(entries[path].*aspect, value, firedBefore);
    return value;
  }

  // Keeps what the server answered, taken by the pass under way. A watch that fired while we
  // read (its count moved past `firedBefore`) may describe a change the answer does not show
  // yet: the answer is then kept unarmed.
  template <typename T>
  void keep(Cached<T>& cached, std::optional<T> value, std::uint64_t firedBefore) const {
    cached.value = std::move(value);
    cached.armed = cached.fired == firedBefore;
    cached.takenIn = inPass ? pass : 0;
  }

  // Whether `cached` answers without asking the server: the pass took it already, or its watch
  // has not fired (the pass takes it then). A pass takes each path once: a watch that fires after
  // that has woken the loop, and the next pass reads the path again. (Reading it again at once
  // would chase a busy tree: the longer a pass, the more of its nodes change under it, each then
  // a round trip of its own.)
  template <typename T>
  bool take(Cached<T>& cached) const {
    if (inPass && cached.takenIn == pass) return true;
    if (!cached.armed) return false;
    if (inPass) cached.takenIn = pass;
    return true;
  }
};

TreeCache::TreeCache(std::shared_ptr<Session> session, Wake wake)
    : session_(std::move(session)), state_(std::make_shared<State>()) {
  state_->wake = std::move(wake);
}

TreeCache::~TreeCache() {
  std::lock_guard lock(state_->mutex);
  state_->wake = nullptr;
}

std::optional<Node> TreeCache::get(const std::string& path) {
  std::weak_ptr<State> weak = state_;
  return state_->readThrough<Node>(path, &Entry::data, [&]() -> std::optional<Node> {
    for (;;) {
      if (auto node = session_->get(path, State::watcher(weak, path, &Entry::data))) return node;
      // getData leaves no watch on a missing node; exists does, and tells of its creation.
      if (!session_->exists(path, State::watcher(weak, path, &Entry::data))) return std::nullopt;
    }
  });
}

std::optional<std::vector<std::string>> TreeCache::children(const std::string& path) {
  std::weak_ptr<State> weak = state_;
  return state_->readThrough<std::vector<std::string>>(
      path, &Entry::children, [&]() -> std::optional<std::vector<std::string>> {
        for (;;) {
          auto names = session_->children(path, State::watcher(weak, path, &Entry::children));
          if (names) return names;
          // As for get(): watch the missing node's creation.
          if (!session_->exists(path, State::watcher(weak, path, &Entry::children))) {
            return std::nullopt;
          }
        }
      });
}

bool TreeCache::prefetch(const std::vector<std::string>& nodes,
                         const std::vector<std::string>& listings) {
  std::weak_ptr<State> weak = state_;
  std::vector<Session::Read> reads;
  std::vector<std::uint64_t> firedBefore;
  {
    std::lock_guard lock(state_->mutex);
    auto stale = [&](const std::string& path, bool listing) {
      auto& entry = state_->entries[path];
      entry.pass = state_->pass;
      if (listing ? state_->take(entry.children) : state_->take(entry.data)) return;
      firedBefore.push_back(listing ? entry.children.fired : entry.data.fired);
      reads.push_back({path, listing,
                       listing ? State::watcher(weak, path, &Entry::children)
                               : State::watcher(weak, path, &Entry::data)});
    };
    for (const auto& path : nodes) stale(path, false);
    for (const auto& path : listings) stale(path, true);
  }
  if (reads.empty()) return true;
  auto answers = session_->readMany(reads);
  std::vector<std::string> missing;
  {
    std::lock_guard lock(state_->mutex);
    for (std::size_t i = 0; i < answers.size(); ++i) {
      if (answers[i].code == Code::NoNode && !reads[i].children) missing.push_back(reads[i].path);
      if (answers[i].code != Code::Ok) continue;
      ++state_->serverReads;
      auto& entry = state_->entries[reads[i].path];
      if (reads[i].children) {
        state_->keep(entry.children, std::move(answers[i].names), firedBefore[i]);
      } else {
        state_->keep(entry.data, std::move(answers[i].node), firedBefore[i]);
      }
    }
  }
  // getData leaves no watch on a missing node: exists does, and tells of its creation.
  if (!missing.empty()) watchCreations(missing);
  return true;
}

void TreeCache::watchCreations(const std::vector<std::string>& paths) {
  std::weak_ptr<State> weak = state_;
  std::vector<Session::Read> reads;
  std::vector<std::uint64_t> firedBefore;
  {
    std::lock_guard lock(state_->mutex);
    for (const auto& path : paths) {
      firedBefore.push_back(state_->entries[path].data.fired);
      reads.push_back({path, false, State::watcher(weak, path, &Entry::data), true});
    }
  }
  auto answers = session_->readMany(reads);
  std::lock_guard lock(state_->mutex);
  for (std::size_t i = 0; i < answers.size(); ++i) {
    // Created meanwhile: left to the read that follows, as any node not fetched.
    if (answers[i].code != Code::NoNode) continue;
    ++state_->serverReads;
    state_->keep(state_->entries[reads[i].path].data, std::optional<Node>{}, firedBefore[i]);
  }
}

void TreeCache::invalidate(const std::string& path) {
  std::lock_guard lock(state_->mutex);
  auto it = state_->entries.find(path);
  if (it == state_->entries.end()) return;
  it->second.data.armed = false;
  it->second.children.armed = false;
  it->second.data.takenIn = 0;
  it->second.children.takenIn = 0;
}

void TreeCache::invalidateAll() {
  std::lock_guard lock(state_->mutex);
  state_->entries.clear();
}

void TreeCache::beginPass() {
  std::lock_guard lock(state_->mutex);
  ++state_->pass;
  state_->inPass = true;
}

void TreeCache::endPass() {
  std::lock_guard lock(state_->mutex);
  state_->inPass = false;
  std::erase_if(state_->entries,
                [&](const auto& item) { return item.second.pass != state_->pass; });
}

std::uint64_t TreeCache::serverReads() const {
  std::lock_guard lock(state_->mutex);
  return state_->serverReads;
}

std::size_t TreeCache::size() const {
  std::lock_guard lock(state_->mutex);
  return state_->entries.size();
}

}  // namespace sm::zk

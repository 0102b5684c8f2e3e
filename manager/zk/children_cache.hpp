#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "manager/zk/session.hpp"

namespace sm::zk {

// The children of one znode (and, optionally, their data), kept current. ZooKeeper does not promise
// to report every change (watches are one-shot and a reconnect can fold several changes into none),
// so every wake-up re-reads and diffs against what was known, and a reconnect re-reads everything.
// The listener sees the whole new snapshot and what changed; it runs on the session's dispatcher.
class ChildrenCache : public std::enable_shared_from_this<ChildrenCache> {
  struct PrivateTag {};

 public:
  struct Child {
    std::string data;
    Stat stat;
  };
  using Snapshot = std::map<std::string, Child>;
  struct Change {
    std::vector<std::string> added;
    std::vector<std::string> removed;
    std::vector<std::string> updated;
    bool empty() const { return added.empty() && removed.empty() && updated.empty(); }
  };
  using Listener = std::function<void(const Snapshot&, const Change&)>;
  struct Options {
    bool withData = true;
  };

  static std::shared_ptr<ChildrenCache> make(std::shared_ptr<Session> session, std::string path,
                                             Listener listener, Options options);
  static std::shared_ptr<ChildrenCache> make(std::shared_ptr<Session> session, std::string path,
                                             Listener listener);
  ChildrenCache(PrivateTag, std::shared_ptr<Session> session, std::string path, Listener listener,
                Options options);
  ~ChildrenCache();

  // Reads the children (the listener sees them as added) and keeps them current.
  void start();
  // No more reads or callbacks; waits for a callback that is running to finish.
  void stop();
  // Queues a full re-read, as after a reconnect.
  void refresh();
  Snapshot snapshot() const;
  bool exists() const;       // the watched node itself exists
  uint64_t rereads() const;  // how many times it re-read the children list

 private:
  void reread(bool full);
  Watcher childrenWatcher();
  Watcher dataWatcher(const std::string& name);

  std::shared_ptr<Session> session_;
  std::string path_;
  Listener listener_;
  Options options_;
  size_t stateListener_ = 0;
  bool started_ = false;

  // Touched only on the dispatcher thread (running_ aside).
  bool childrenWatchArmed_ = false;
  std::set<std::string> dataWatchArmed_;
  std::set<std::string> dirty_;
  std::atomic<bool> running_{false};

  mutable std::mutex mutex_;
  Snapshot current_;
  bool exists_ = false;
  uint64_t rereads_ = 0;
};

}  // namespace sm::zk

#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "manager/zk/queue_member.hpp"
#include "manager/zk/session.hpp"

namespace sm::zk {

// Keeps a directory of sequential children (a history, like events/) to its newest `keep`. Only
// one client trims: the holder of a QueueMember queue in `lockDir` (Curator's LeaderLatch shape),
// so that N clients never race to delete the same nodes. Trimming starts once the directory holds
// more than keep + keep/10 children and removes the oldest first (by sequence), `batch` per
// multi() fenced by the holder's node, so that a client that lost its place deletes nothing.
//
// It works on a thread of its own, never on its owner's, and only when something happened: the
// holder leaves a children watch on the directory, and its owner pokes it after writing there. A
// round runs at most once per `interval` (a stream of children costs one listing per interval),
// and a quiet directory costs no request at all. A lost place is queued for again at the next
// round; an expired session ends the work (the owner makes a new ChildRetention with its new
// session).
class ChildRetention {
 public:
  struct Options {
    std::string dir;          // the history
    std::string childPrefix;  // its children: <childPrefix>...<10-digit sequence>
    std::string lockDir;      // created if missing
    std::string lockPrefix = "lock-";
    std::string lockData;  // stored in our place in the queue (who we are, for people)
    std::size_t keep = 1000;
    std::size_t batch = 500;
    std::chrono::milliseconds interval{1000};
  };

  ChildRetention(std::shared_ptr<Session> session, Options options);
  // Stops the thread and leaves the queue.
  ~ChildRetention();
  ChildRetention(const ChildRetention&) = delete;
  ChildRetention& operator=(const ChildRetention&) = delete;

  // Starts the thread, which queues at once (separate from construction so that tests may drive
  // trimOnce() alone).
  void start();
  // Asks for a round (from any thread; never blocks).
  void poke();
  // One round on the calling thread: queues if not queued, and trims while holding until the
  // directory is within bounds. Returns the children removed. Throws ZkError on a connection or
  // session loss.
  std::size_t trimOnce();

  bool held() const;
  std::uint64_t removed() const { return removed_.load(); }
  // The count above which trimming starts.
  std::size_t limit() const { return options_.keep + options_.keep / 10; }

 private:
  // What watches and the queue's callbacks reach, possibly after we are gone: they hold it weakly.
  struct Wakeup {
    std::mutex mutex;
    std::condition_variable changed;
    bool poked = false;
    bool stopping = false;
    std::atomic<bool> watchArmed{false};
    void poke();
  };

  void run();
  void ensureQueued();
  std::size_t trim();
  // The children, leaving a watch when none is armed; nullopt when within bounds.
  std::optional<std::vector<std::string>> childrenOverLimit();

  std::shared_ptr<Session> session_;
  const Options options_;
  std::shared_ptr<Wakeup> wakeup_ = std::make_shared<Wakeup>();
  mutable std::mutex memberMutex_;
  std::shared_ptr<QueueMember> member_;
  std::atomic<std::uint64_t> removed_{0};
  std::thread thread_;
};

}  // namespace sm::zk

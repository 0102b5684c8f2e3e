#pragma once
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>

#include "manager/zk/queue_member.hpp"

namespace sm::zk {

class LockDestroyed : public std::runtime_error {
 public:
  explicit LockDestroyed(const std::string& dir);
};

// A distributed mutex (bigdata's ZLock): contenders are ephemeral-sequential children of the lock
// directory; the lowest holds it. Each contender watches only its predecessor. The lock can be
// destroyed (the directory and every contender removed at once), and waiters learn so.
class Lock {
 public:
  struct Options {
    std::string prefix = "lock-";  // child-name prefix; the layout module decides it
    std::string data;              // stored in the contender's node
  };

  Lock(std::shared_ptr<Session> session, std::string dir);
  Lock(std::shared_ptr<Session> session, std::string dir, Options options);
  ~Lock();
  Lock(const Lock&) = delete;
  Lock& operator=(const Lock&) = delete;

  // Queues and waits to hold the lock: true once held, false after the timeout (the place in the
  // queue is given up then). Throws LockDestroyed, or ZkError (a missing directory is NoNode).
  // Must not be called on the session's dispatcher thread, which delivers the wake-up.
  bool acquire(std::chrono::milliseconds timeout);
  void release();
  // What this client last learned (false while the connection is lost: QueueMember::State
  // Suspended); see verifyHeld() or fence() before a decisive write.
  bool held() const;
  // Asks the server: our node exists, belongs to this session, and is the lowest.
  bool verifyHeld();
  // Called (on the dispatcher thread) when a held or queued place is lost.
  void onLost(std::function<void(LossReason)> callback);
  std::string nodePath() const;
  uint64_t wakeups() const;
  std::shared_ptr<QueueMember> member() const;

  // Removes the lock directory with every contender in one multi() (destroyQueue); a lock that is
  // already gone is fine. Returns false when it did not exist.
  static bool destroy(Session& session, const std::string& dir);

 private:
  std::shared_ptr<Session> session_;
  std::string dir_;
  Options options_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::shared_ptr<QueueMember> member_;
  bool held_ = false;
  std::optional<LossReason> lost_;
  std::function<void(LossReason)> onLost_;
};

}  // namespace sm::zk

#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "manager/zk/session.hpp"

namespace sm::zk {

enum class LossReason {
  SessionExpired,  // the session is gone, and with it the node
  Destroyed,       // the queue's directory was removed (a destroyed lock)
  NodeRemoved,     // someone else deleted our node
};
const char* toString(LossReason reason);

// One place in an ordered queue of ephemeral-sequential children of a directory: the common core
// of Lock and Election. The member with the lowest sequence is first; every other member watches
// only its predecessor, so a departure wakes exactly one waiter. Its position is re-read on every
// wake-up and after every reconnect, never inferred from events alone.
class QueueMember : public std::enable_shared_from_this<QueueMember> {
  struct PrivateTag {};

 public:
  struct Position {
    bool first = false;
    size_t index = 0;         // 0 for the first member
    std::string predecessor;  // the member we wait on; empty when first
    bool operator==(const Position&) const = default;
  };
  struct Listener {
    std::function<void(const Position&)> onPosition;  // called when the position changes
    std::function<void(LossReason)> onLost;           // called once; the member is then inactive
  };

  static std::shared_ptr<QueueMember> make(std::shared_ptr<Session> session, std::string dir,
                                           std::string prefix, std::string data, Listener listener);
  QueueMember(PrivateTag, std::shared_ptr<Session> session, std::string dir, std::string prefix,
              std::string data, Listener listener);

  // Creates our node, retrying a connection loss without leaving a second node. Throws ZkError
  // (NoNode when the directory does not exist). Callbacks follow on the session's dispatcher.
  void enter();
  // Follows a node that was created elsewhere (e.g. in a multi() beside other nodes) as ours.
  void adopt(const std::string& nodePath);
  // Deletes our node; no callback follows.
  void leave();
  // Stops following our node without deleting it: its owner removes it by path (say in a multi()
  // with what it stands for), or it goes with the session. No callback follows, and it never waits
  // for a connection.
  void abandon();

  bool active() const { return active_; }
  std::string nodePath() const;
  int64_t sequence() const;
  std::shared_ptr<Session> session() const { return session_; }
  // Notifications from the predecessor's watch; the no-herd property is counted with it.
  uint64_t wakeups() const { return wakeups_; }
  // Creates that hit a connection loss, and how many of those found the node they had made.
  uint64_t createRetries() const { return createRetries_; }
  uint64_t adoptedAfterRetry() const { return adopted_; }

 private:
  void start(const std::function<std::string()>& ownNode);
  std::string createProtected();
  std::optional<std::string> findOwnNode();
  void evaluate();
  void lose(LossReason reason);

  std::shared_ptr<Session> session_;
  std::string dir_;
  std::string prefix_;
  std::string data_;
  Listener listener_;
  std::string ownPrefix_;

  mutable std::mutex mutex_;
  std::string nodePath_;
  std::optional<Position> position_;
  size_t stateListener_ = 0;
  std::atomic<bool> active_{false};
  std::atomic<uint64_t> wakeups_{0};
  std::atomic<uint64_t> createRetries_{0};
  std::atomic<uint64_t> adopted_{0};
};

}  // namespace sm::zk

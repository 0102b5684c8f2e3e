#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "manager/zk/op.hpp"
#include "manager/zk/session.hpp"

namespace sm::zk {

enum class LossReason {
  SessionExpired,  // the session is gone, and with it the node
  Destroyed,       // the queue's directory was removed (a destroyed lock)
  NodeRemoved,     // someone else deleted our node
};
const char* toString(LossReason reason);

// One place in an ordered queue of ephemeral-sequential children of a directory: the fenced,
// non-blocking lock recipe that Lock, Election and the daemon's locks are built on. The member with
// the lowest sequence holds the place; every other member watches only its predecessor (a getData
// watch, so a predecessor already gone leaves no watch behind), and a departure wakes exactly one
// waiter. The position is re-read after every wake-up and every reconnect, with one exception: when
// the lowest member leaves, the second becomes first without a read (sequence numbers only grow).
//
// Connection states follow Curator's policy: while the session is reconnecting a held place is
// Suspended (the holder must not act as one), a reconnect re-reads it, and a lost session is final.
class QueueMember : public std::enable_shared_from_this<QueueMember> {
  struct PrivateTag {};

 public:
  struct Position {
    bool first = false;
    size_t index = 0;         // 0 for the first member
    std::string predecessor;  // the member we wait on; empty when first
    bool operator==(const Position&) const = default;
  };
  enum class State {
    Queued,     // in the queue, not first (or not yet evaluated)
    Held,       // first, as read while connected
    Suspended,  // was Held, and the connection is lost: not sure until reconnected
    Lost,       // the place is gone for good (also after leave() or abandon())
  };
  struct Listener {
    std::function<void(const Position&)> onPosition;  // called when the position changes
    std::function<void(LossReason)> onLost;           // called once; the member is then inactive
    // Optional: called when state() changes. (Initialized, so that positional {onPosition,
    // onLost} initializations stay free of -Wmissing-field-initializers.)
    std::function<void(State)> onState = {};
    // Optional: called on the client's own thread the moment a watch makes us first without a
    // read (the second in line, whose predecessor was the lowest, saw it go), one thread hop before
    // onState(Held) follows on the dispatcher. It must neither block nor call ZooKeeper.
    std::function<void()> onFirstEarly = {};
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
  // Members of different queues, on one session, enter at once: their nodes are made in one
  // multi(), one round trip for all instead of one each. Returns whether each entered: one whose
  // directory does not exist is left out, inactive (enter() would throw NoNode). A connection loss
  // is recovered member by member as enter() does, each looking for its node by its protected name
  // before it makes another. Other errors are thrown, with the members before the failing one
  // entered (active()).
  static std::vector<bool> enterAll(const std::vector<std::shared_ptr<QueueMember>>& members);
  // Deletes our node with one attempt and never waits for a connection: when the connection is
  // lost, the node is deleted once the session reconnects (or goes with the session). No callback
  // follows.
  void leave();
  // Stops following our node without deleting it: its owner removes it by path (say in a multi()
  // with what it stands for), or it goes with the session. No callback follows, and it never waits
  // for a connection.
  void abandon();

  State state() const;
  bool held() const { return state() == State::Held; }
  // How it learned it holds: 0 from a read of the queue (whose answer's zxid the client keeps, so
  // a server it reconnects to has seen at least as much), else the connection whose event (its
  // predecessor's deletion) told it. A holder that reads what its predecessor wrote in the
  // transaction that removed its place needs no sync() while that connection stands
  // (Session::connection()).
  std::uint64_t heldThrough() const { return heldThrough_; }
  // Put first in a holder's multi(): the multi fails when our node is gone, so a holder that lost
  // its place cannot write.
  Op fence() const { return Op::check(nodePath(), -1); }

  bool active() const { return active_; }
  // Someone read the queue (a cache of it will do: any real read, however old) and found `name`
  // first. When that is our predecessor, its departure makes us first without another read:
  // nodes join behind us only, and none can join below a first one.
  void noteFirst(const std::string& name);
  std::string nodePath() const;
  int64_t sequence() const;
  std::shared_ptr<Session> session() const { return session_; }
  // Notifications from the predecessor's watch; the no-herd property is counted with it.
  uint64_t wakeups() const { return wakeups_; }
  // Reads of the queue (getChildren): the fast path of the second member needs none.
  uint64_t positionReads() const { return positionReads_; }
  // Predecessors found gone when we came to watch them: the queue was read again, no watch left.
  uint64_t predecessorsGoneWhenWatched() const { return predecessorsGone_; }
  // Creates that hit a connection loss, and how many of those found the node they had made.
  uint64_t createRetries() const { return createRetries_; }
  uint64_t adoptedAfterRetry() const { return adopted_; }

  // For tests: runs on the dispatcher between reading the queue and watching the predecessor.
  void beforeWatchingPredecessor(std::function<void(const std::string& path)> hook);

 private:
  void start(const std::function<std::string()>& ownNode);
  std::string createProtected();
  // Makes our node under ownPrefix_; `lookFirst`: a create of it may have been applied (its
  // answer lost), so it is looked for first.
  std::string makeOwnNode(bool lookFirst);
  std::optional<std::string> findOwnNode();
  void onSessionState(SessionState state);
  void watchOwnNode();
  void onPredecessorEvent(const WatchEvent& event);
  void onPredecessorEventEarly(const WatchEvent& event);
  bool promotes(const WatchEvent& event) const;  // under mutex_
  void evaluate();
  // `toldBy`: the connection of the event that promoted us; 0 when a read did.
  void publish(const Position& next, std::uint64_t toldBy = 0);
  void setState(State next);
  void lose(LossReason reason);
  // Inactive and Lost without a callback: leave() and abandon().
  void stop();

  std::shared_ptr<Session> session_;
  std::string dir_;
  std::string prefix_;
  std::string data_;
  Listener listener_;
  std::string ownPrefix_;

  mutable std::mutex mutex_;
  std::string nodePath_;
  std::optional<Position> position_;  // set while the predecessor's watch is armed
  State state_ = State::Queued;
  std::function<void(const std::string&)> beforeWatchHook_;
  size_t stateListener_ = 0;
  // Whether the watch on our own node is armed and has not fired. It tells a destroyed queue or a
  // removed node apart from a plain departure of the lowest member, which the fast path relies on.
  // Its events are counted on the client's thread as they arrive, in the server's order, so that
  // a fast path taken there or on the dispatcher never counts on a watch that already fired.
  bool ownNodeWatched() const;
  std::atomic<uint64_t> ownNodeEvents_{0};
  std::atomic<int64_t> ownNodeArmedAt_{-1};  // ownNodeEvents_ when the armed watch was set
  std::atomic<bool> active_{false};
  std::atomic<std::uint64_t> heldThrough_{0};
  std::atomic<uint64_t> wakeups_{0};
  std::atomic<uint64_t> positionReads_{0};
  std::atomic<uint64_t> predecessorsGone_{0};
  std::atomic<uint64_t> createRetries_{0};
  std::atomic<uint64_t> adopted_{0};
};

const char* toString(QueueMember::State state);

}  // namespace sm::zk

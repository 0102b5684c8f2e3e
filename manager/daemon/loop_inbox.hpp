#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "manager/supervisor/instance_event.hpp"
#include "manager/zk/session.hpp"

namespace sm::daemon {

// What other threads tell the reconcile loop. They post and return: the loop's thread alone owns
// the daemon's state and decides what an event means.

// From the supervisor's event thread: something happened to one of our processes.
struct ProcessEvent {
  supervisor::InstanceEvent event;
};

// From the session's dispatcher: an election of one of our instances changed. `registration`
// names the registration it was made for, so that news of an older one is ignored.
struct ElectionEvent {
  enum class Kind { Master, Secondary, Lost };
  std::string uuid;
  int registration = 0;
  Kind kind = Kind::Lost;
  std::int64_t epoch = 0;  // Master
  // When the news was posted (for a master: when its predecessor's end reached this daemon), for
  // the failover time the HTTP endpoint reports.
  std::chrono::steady_clock::time_point at = std::chrono::steady_clock::now();
};

// From the session's dispatcher: the connection dropped, came back, or the session ended.
struct ConnectionEvent {
  enum class Kind { Lost, Back, Expired };
  Kind kind = Kind::Lost;
  std::weak_ptr<zk::Session> session;  // news of a session already replaced is ignored
};

// From the lease thread: a round trip ended (deadlineNs may be past when it failed).
struct LeaseEvent {
  std::uint64_t deadlineNs = 0;
};

// From the supervisor's event thread: a promotion score hook of one of our instances ended
// (spec.promotion). `round` is the chain's first member it was taken for; `registration` as above.
struct ScoreEvent {
  std::string uuid;
  int registration = 0;
  std::int64_t round = 0;
  bool ok = false;
  std::string detail;  // how the hook ended
  std::string output;  // its first bytes of stdout
  bool truncated = false;
};

using LoopEvent =
    std::variant<ProcessEvent, ElectionEvent, ConnectionEvent, LeaseEvent, ScoreEvent>;

// How long a pass waits after the first tree change that asks for it. A failover fires watches
// in every manager at once (the election, the physical node, the host's record): read in one pass
// a little later, they neither wake each manager several times nor take the CPU from the events
// that carry the failover itself, which never wait.
inline constexpr std::chrono::milliseconds kPassSettle{10};

// The loop's mailbox. Its mutex guards the queue only, never daemon state. The loop sleeps in
// poll() on an eventfd, which posts, wake-ups and a stop signal, and on a timerfd, which wakeSoon()
// arms: arming a timer wakes nobody, so the watches a failover fires cost a manager's loop no
// wake-up until they settled.
class LoopInbox {
 public:
  explicit LoopInbox(std::chrono::milliseconds passSettle = kPassSettle);
  ~LoopInbox();
  LoopInbox(const LoopInbox&) = delete;
  LoopInbox& operator=(const LoopInbox&) = delete;

  void post(LoopEvent event);
  // A part wants another pass now (a lock it waited for is held, a retry is due).
  void wake();
  // A watch fired, or an event was handled whose follow-up can wait: a pass is due `passSettle`
  // after the first such request not yet served.
  void wakeSoon();
  // How long changes settle before the pass they ask for (from the loop: see Daemon::run).
  void setPassSettle(std::chrono::milliseconds settle);
  void requestStop();
  bool stopping() const;

  struct Batch {
    std::vector<LoopEvent> events;  // in the order they were posted
    bool passWanted = false;
  };
  // Waits until an event, a wake-up, a settled change, a stop or `until`; returns every pending
  // event, and whether a pass is due (a change not yet settled stays pending). At `wakeAt` it
  // returns too, without asking for a pass (a timer of the loop's own, e.g. writing events).
  Batch wait(std::optional<std::chrono::steady_clock::time_point> until,
             std::optional<std::chrono::steady_clock::time_point> wakeAt = std::nullopt);
  // Waits at most `timeout` for a stop (a retry's pause that a stop cuts short).
  void waitForStop(std::chrono::milliseconds timeout);

 private:
  void signal();
  // Sleeps until the eventfd is signalled, the timer fires or `until`; clears both.
  void sleep(std::optional<std::chrono::steady_clock::time_point> until);
  void armTimer(std::optional<std::chrono::steady_clock::time_point> at);

  mutable std::mutex mutex_;
  std::deque<LoopEvent> events_;
  std::chrono::milliseconds passSettle_;  // under mutex_
  bool passWanted_ = true;
  std::optional<std::chrono::steady_clock::time_point> soonPassAt_;
  bool stopping_ = false;
  int signalFd_ = -1;
  int timerFd_ = -1;
};

}  // namespace sm::daemon

#pragma once

#include <chrono>
#include <condition_variable>
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

using LoopEvent = std::variant<ProcessEvent, ElectionEvent, ConnectionEvent, LeaseEvent>;

// The loop's mailbox. Its mutex guards the queue only, never daemon state.
class LoopInbox {
 public:
  void post(LoopEvent event);
  // The tree changed (a watch fired) or a part wants another pass.
  void wake();
  void requestStop();
  bool stopping() const;

  struct Batch {
    std::vector<LoopEvent> events;  // in the order they were posted
    bool passWanted = false;
  };
  // Waits until an event, a wake-up, a stop or `until`; returns everything pending.
  Batch wait(std::optional<std::chrono::steady_clock::time_point> until);
  // Waits at most `timeout` for a stop (a retry's pause that a stop cuts short).
  void waitForStop(std::chrono::milliseconds timeout);

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<LoopEvent> events_;
  bool passWanted_ = true;
  bool stopping_ = false;
};

}  // namespace sm::daemon

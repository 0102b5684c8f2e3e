#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include "manager/daemon/context.hpp"
#include "manager/daemon/daemon_parts.hpp"
#include "manager/daemon/loop_inbox.hpp"
#include "manager/daemon/state_publisher.hpp"
#include "manager/model/tree_reader.hpp"
#include "manager/observe/http_endpoint.hpp"
#include "manager/observe/state_board.hpp"

namespace sm::daemon {

// One servicesmgr: a single reconcile loop, the only thread that owns the daemon's state. Other
// threads post to its inbox: the supervisor (process events), the session's dispatcher (watches,
// election changes, connection changes) and the lease thread. The loop first applies the events it
// took (a process exit, a new master: ahead of everything else, since failover waits on them), then
// runs a pass: it reads the tree (through the cache: free when nothing changed), decides in pure
// functions (reconcile/), then writes: config monitor, local instances, placement, host node.
class Daemon {
 public:
  explicit Daemon(DaemonOptions options);
  ~Daemon();

  // Runs until requestStop(); returns the process exit code.
  int run();
  // From any thread (the signal thread): graceful stop.
  void requestStop();

 private:
  // Retries until connected or stopping; `onRetry` runs after each failed attempt.
  bool connect(const std::function<void()>& onRetry = {});
  // Applies one event taken from the inbox; true when a pass should follow.
  bool handle(const LoopEvent& event);
  // One reconcile pass; returns when the next is due even if nothing wakes the loop.
  std::optional<std::chrono::steady_clock::time_point> pass();
  void flushEventsWhenDue();
  void onSessionLost();
  void shutdown();
  void report(const std::string& path, const std::string& error);

  LoopInbox inbox_;  // first: every other part posts to it
  DaemonContext context_;
  std::unique_ptr<DaemonParts> parts_;
  // Documents decoded by earlier passes (unchanged nodes are not parsed again).
  model::DecodeMemo memo_;

  // The HTTP endpoint (--http): the loop publishes, the endpoint's threads read the board.
  observe::StateBoard board_;
  StatePublisher publisher_;
  std::unique_ptr<observe::HttpEndpoint> http_;

  bool sessionLost_ = false;
  // When the queued events are written (kEventFlushDelay after the first of them).
  std::optional<std::chrono::steady_clock::time_point> eventsDue_;
  std::set<std::pair<std::string, std::string>> reported_;
  std::chrono::steady_clock::time_point nextMetrics_{};
};

}  // namespace sm::daemon

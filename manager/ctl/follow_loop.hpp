#pragma once
// The loop of every command that follows the tree (`watch`, `events --follow`, the `--wait` of
// apply, switchover, drain, ...): read with watches armed on what the read touched, sleep until one
// fires, read again. No polling; a connection loss is waited out (the failed read left no watch,
// the reconnect wakes the loop), an expired session ends it with a clear error.
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "manager/ctl/armed_watches.hpp"
#include "manager/zk/session.hpp"

namespace sm::ctl {

// SIGINT and SIGTERM through a signalfd, for the commands that run until stopped, so that they end
// cleanly (the session closed, nothing half-printed). Make it before connecting: the session's
// threads inherit the blocked mask.
class StopSignals {
 public:
  StopSignals();
  int fd() const { return fd_.get(); }

 private:
  FileDescriptor fd_;
};

class FollowLoop {
 public:
  using Clock = std::chrono::steady_clock;
  enum class End { Done, Deadline, Stopped };

  // `what` names the command in the error of an expired session (e.g. "watch").
  FollowLoop(zk::Session& session, std::string what, std::string zk);

  // What a read arms its watches with.
  ArmedWatches& watches() { return *watches_; }

  // Runs `read` until it returns true (Done), `deadline` passes (Deadline) or, with `stop`, a stop
  // signal arrives (Stopped). Throws CliError (exit 1) when the session expires; ZooKeeper errors
  // other than a connection loss pass through.
  End run(const std::function<bool()>& read, Clock::time_point deadline = Clock::time_point::max(),
          const StopSignals* stop = nullptr);

 private:
  std::shared_ptr<ArmedWatches> watches_;
  std::shared_ptr<std::atomic<bool>> sessionLost_;
  std::string what_;
  std::string zk_;
};

}  // namespace sm::ctl

#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "manager/supervisor/event_loop.hpp"
#include "manager/supervisor/orphan_guard.hpp"
#include "manager/supervisor/watched_process.hpp"

namespace sm::supervisor {

// A short-lived helper run for an instance (role-change hook, exec health probe): argv with the
// instance's environment, output discarded (or written to `stdoutFd`, which the caller owns and
// may close once constructed), killed with its whole group at the timeout. Destroying it kills the
// command; `done` is then never called.
class TimedCommand {
 public:
  struct Outcome {
    bool ok = false;  // started, exited 0, within the timeout
    std::string detail;
  };
  using Done = std::function<void(const Outcome&)>;

  TimedCommand(EventLoop& loop, OrphanGuard& guard, const std::vector<std::string>& argv,
               const std::vector<std::string>& environment, const std::string& workingDir,
               std::chrono::milliseconds timeout, Done done, int stdoutFd = -1);
  ~TimedCommand();
  TimedCommand(const TimedCommand&) = delete;
  TimedCommand& operator=(const TimedCommand&) = delete;

 private:
  void finish(const Outcome& outcome);

  EventLoop& loop_;
  std::unique_ptr<WatchedProcess> process_;
  EventLoop::TimerId timer_ = 0;
  bool timedOut_ = false;
  Done done_;
};

}  // namespace sm::supervisor

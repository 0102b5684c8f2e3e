#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>
#include <string>

#include "manager/supervisor/event_loop.hpp"
#include "manager/supervisor/exit_status.hpp"
#include "manager/supervisor/orphan_guard.hpp"
#include "manager/supervisor/spawn.hpp"

namespace sm::supervisor {

// A started process, its own process group leader, whose exit arrives through its pidfd on the
// event loop: no polling, no blocking wait. On exit the rest of its group is SIGKILLed *before* the
// leader is reaped, while the zombie leader still pins the group id, so no grandchild survives and
// no recycled group id can be hit.
class WatchedProcess {
 public:
  using ExitHandler = std::function<void(ExitStatus)>;

  // Loop thread only. On failure returns nullptr and sets `error`; `onExit` then never runs.
  static std::unique_ptr<WatchedProcess> start(EventLoop& loop, OrphanGuard& guard,
                                               const SpawnRequest& request, ExitHandler onExit,
                                               std::string& error);
  // Still running: SIGKILLs the group and reaps synchronously (a last resort; stop paths are
  // async).
  ~WatchedProcess();
  WatchedProcess(const WatchedProcess&) = delete;
  WatchedProcess& operator=(const WatchedProcess&) = delete;

  pid_t pid() const { return pid_; }
  bool running() const { return pidfd_ >= 0; }
  bool signalGroup(int signal) const;
  bool signalProcess(int signal) const;

 private:
  WatchedProcess(EventLoop& loop, OrphanGuard& guard, pid_t pid, int pidfd, ExitHandler onExit);
  ExitStatus reap();
  // reap() but for telling the guard, which the caller does.
  ExitStatus collect();
  void onPidfdReadable();

  EventLoop& loop_;
  OrphanGuard& guard_;
  pid_t pid_;
  int pidfd_;
  EventLoop::WatchId watch_ = 0;
  ExitHandler onExit_;
};

}  // namespace sm::supervisor

#include "manager/supervisor/watched_process.hpp"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

namespace sm::supervisor {

std::unique_ptr<WatchedProcess> WatchedProcess::start(EventLoop& loop, OrphanGuard& guard,
                                                      const SpawnRequest& request,
                                                      ExitHandler onExit, std::string& error) {
  SpawnResult spawned = spawnProcess(request);
  if (!spawned.ok()) {
    error = spawned.error;
    return nullptr;
  }
  // Told to the guard at once: from here a SIGKILLed manager must not leave this group behind.
  guard.track(spawned.pid);
  return std::unique_ptr<WatchedProcess>(
      new WatchedProcess(loop, guard, spawned.pid, spawned.pidfd, std::move(onExit)));
}

WatchedProcess::WatchedProcess(EventLoop& loop, OrphanGuard& guard, pid_t pid, int pidfd,
                               ExitHandler onExit)
    : loop_(loop), guard_(guard), pid_(pid), pidfd_(pidfd), onExit_(std::move(onExit)) {
  watch_ = loop_.watchFd(pidfd_, EPOLLIN, [this](std::uint32_t) { onPidfdReadable(); });
}

WatchedProcess::~WatchedProcess() {
  if (running()) reap();
}

bool WatchedProcess::signalGroup(int signal) const {
  return running() && kill(-pid_, signal) == 0;
}

bool WatchedProcess::signalProcess(int signal) const {
  return running() && kill(pid_, signal) == 0;
}

ExitStatus WatchedProcess::reap() {
  guard_.untrack(pid_);
  return collect();
}

ExitStatus WatchedProcess::collect() {
  kill(-pid_, SIGKILL);  // the leader may be alive (destructor) or a zombie (normal exit)
  int status = 0;
  while (waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  loop_.unwatchFd(watch_);
  close(pidfd_);
  pidfd_ = -1;
  return ExitStatus::fromWaitStatus(status);
}

void WatchedProcess::onPidfdReadable() {
  ExitStatus status = collect();
  // The handler may destroy this object: nothing of `this` is touched after it.
  auto handler = std::move(onExit_);
  auto& guard = guard_;
  const pid_t group = pid_;
  if (handler) handler(status);
  // After the exit's news, which a successor waits for: telling the guard wakes another process.
  // The group is dead already (killed above, its leader reaped).
  guard.untrack(group);
}

}  // namespace sm::supervisor

#pragma once

#include <sys/types.h>

#include <vector>

namespace sm::supervisor {

// A small forked helper process that SIGKILLs every process group it was told about as soon as the
// supervisor's process dies, however it dies. PR_SET_PDEATHSIG reaches only our direct children
// (a fork clears it), so without this a service's own children would outlive a SIGKILLed manager.
// The guard learns of the death by EOF on a socket whose other end only the supervisor holds; it
// ignores SIGINT/SIGTERM/SIGHUP so that signals sent to the manager's group do not take it first.
// Groups that a service's children leave (setsid) are out of its reach.
class OrphanGuard {
 public:
  OrphanGuard();   // forks the guard; throws std::system_error on failure
  ~OrphanGuard();  // closes the socket (the guard kills what is still tracked, then exits) and
                   // reaps it
  OrphanGuard(const OrphanGuard&) = delete;
  OrphanGuard& operator=(const OrphanGuard&) = delete;

  void track(pid_t processGroup);
  void untrack(pid_t processGroup);

  pid_t pid() const { return pid_; }
  // Readable when the guard itself exits (pidfd); then call respawn().
  int exitFd() const { return pidfd_; }
  // Reaps a dead guard and starts a new one that knows every tracked group.
  void respawn();

 private:
  void spawn();
  void shutdown();
  bool send(char op, pid_t processGroup);

  int socket_ = -1;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  std::vector<pid_t> tracked_;
  std::vector<pid_t> guardTable_;  // allocated before fork: the guard must not allocate
};

}  // namespace sm::supervisor

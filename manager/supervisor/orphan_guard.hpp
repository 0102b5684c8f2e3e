#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string>
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
  // What the guard does after the groups it killed are gone (dead or zombies, confirmed within
  // 2 s; past that it does nothing): it runs this same program (/proc/self/exe) with `argument` as
  // its one argument and `input` on its stdin, through a pipe, so that nothing of it shows in argv,
  // the environment or a file. The daemon uses it to end its ZooKeeper session at once.
  struct LastWill {
    std::string argument;
    std::string input;
  };
  static constexpr std::size_t kWillCapacity = 4096;  // argument + input

  OrphanGuard();   // forks the guard; throws std::system_error on failure
  ~OrphanGuard();  // drops the last will, closes the socket (the guard kills what is still
                   // tracked, then exits) and reaps it
  OrphanGuard(const OrphanGuard&) = delete;
  OrphanGuard& operator=(const OrphanGuard&) = delete;

  void track(pid_t processGroup);
  void untrack(pid_t processGroup);
  // Replaces the last will (nullopt: none). False when it is too large or the guard is gone.
  bool setLastWill(std::optional<LastWill> will);

  pid_t pid() const { return pid_; }
  // Readable when the guard itself exits (pidfd); then call respawn().
  int exitFd() const { return pidfd_; }
  // Reaps a dead guard and starts a new one that knows every tracked group.
  void respawn();

 private:
  void spawn();
  void shutdown();
  bool send(char op, pid_t processGroup);
  bool sendWill();

  int socket_ = -1;
  pid_t pid_ = -1;
  int pidfd_ = -1;
  std::vector<pid_t> tracked_;
  std::vector<pid_t> guardTable_;  // allocated before fork: the guard must not allocate
  std::vector<char> guardWill_;    // likewise, for the last will it is handed
  std::optional<LastWill> will_;   // handed to a respawned guard too
};

}  // namespace sm::supervisor

#include "manager/supervisor/orphan_guard.hpp"

#include "manager/supervisor/spawn.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <system_error>

namespace sm::supervisor {

namespace {

constexpr std::size_t kGuardCapacity = 65536;
constexpr int kGuardSocketFd = 3;

struct GuardMessage {
  std::int32_t op;
  std::int32_t processGroup;
};

// Runs in the forked guard: only async-signal-safe calls, no allocation (the parent has threads).
[[noreturn]] void runGuard(int childEnd, int parentEnd, pid_t* table, std::size_t capacity) {
  prctl(PR_SET_NAME, "sm-orphan-guard");
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  for (int sig : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE, SIGUSR1, SIGUSR2})
    sigaction(sig, &ignore, nullptr);
  close(parentEnd);
  if (childEnd != kGuardSocketFd) {
    dup2(childEnd, kGuardSocketFd);
    close(childEnd);
  }
  // Hold nothing of the manager's: a copied socket would keep e.g. its ZooKeeper connection open.
  syscall(SYS_close_range, kGuardSocketFd + 1U, ~0U, 0U);
  int devNull = open("/dev/null", O_RDWR);
  if (devNull >= 0) {
    dup2(devNull, 0);
    dup2(devNull, 1);
    dup2(devNull, 2);
    if (devNull > 2) close(devNull);
  }

  std::size_t count = 0;
  for (;;) {
    GuardMessage message{};
    ssize_t n = recv(kGuardSocketFd, &message, sizeof message, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n != static_cast<ssize_t>(sizeof message)) break;  // EOF: the supervisor is gone
    if (message.op == '+' && count < capacity) {
      table[count++] = message.processGroup;
    } else if (message.op == '-') {
      for (std::size_t i = 0; i < count; ++i) {
        if (table[i] == message.processGroup) {
          table[i] = table[--count];
          break;
        }
      }
    }
  }
  for (std::size_t i = 0; i < count; ++i) kill(-table[i], SIGKILL);
  _exit(0);
}

}  // namespace

OrphanGuard::OrphanGuard() : guardTable_(kGuardCapacity) {
  spawn();
}

OrphanGuard::~OrphanGuard() {
  shutdown();
}

void OrphanGuard::spawn() {
  int ends[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends) != 0)
    throw std::system_error(errno, std::system_category(), "socketpair for the orphan guard");
  pid_t pid = fork();
  if (pid < 0) {
    int err = errno;
    close(ends[0]);
    close(ends[1]);
    throw std::system_error(err, std::system_category(), "fork of the orphan guard");
  }
  if (pid == 0) runGuard(ends[1], ends[0], guardTable_.data(), guardTable_.size());
  close(ends[1]);
  socket_ = ends[0];
  pid_ = pid;
  pidfd_ = openPidfd(pid);
  for (pid_t group : tracked_) send('+', group);
  spdlog::debug("orphan guard started pid={}", pid_);
}

void OrphanGuard::shutdown() {
  if (socket_ >= 0) close(socket_);
  socket_ = -1;
  if (pid_ > 0) waitpid(pid_, nullptr, 0);
  pid_ = -1;
  if (pidfd_ >= 0) close(pidfd_);
  pidfd_ = -1;
}

void OrphanGuard::respawn() {
  spdlog::error("orphan guard pid={} exited; starting a new one", pid_);
  shutdown();
  spawn();
}

bool OrphanGuard::send(char op, pid_t processGroup) {
  GuardMessage message{op, processGroup};
  ssize_t n;
  do {
    n = ::send(socket_, &message, sizeof message, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(sizeof message);
}

void OrphanGuard::track(pid_t processGroup) {
  tracked_.push_back(processGroup);
  if (!send('+', processGroup)) spdlog::error("orphan guard: cannot track group {}", processGroup);
}

void OrphanGuard::untrack(pid_t processGroup) {
  tracked_.erase(std::remove(tracked_.begin(), tracked_.end(), processGroup), tracked_.end());
  send('-', processGroup);
}

}  // namespace sm::supervisor

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
#include <ctime>
#include <system_error>

namespace sm::supervisor {

namespace {

constexpr std::size_t kGuardCapacity = 65536;
constexpr int kGuardSocketFd = 3;
// How long the guard waits for the groups it killed to be gone before it runs the last will; past
// that it runs nothing (the will must never act while a managed process may still run).
constexpr int kConfirmMs = 2000;

struct GuardHeader {
  std::int32_t op;            // '+' track, '-' untrack, 'W' set the last will, 'w' drop it
  std::int32_t processGroup;  // '+', '-'
  std::uint32_t argumentSize;  // 'W'
  std::uint32_t inputSize;     // 'W'
};
struct GuardMessage {
  GuardHeader header;
  char will[OrphanGuard::kWillCapacity];  // 'W': the argument, then the input
};

// Async-signal-safe: whether the group's leader (pid == pgid: every instance starts its own group)
// is still a live process. A zombie is gone: it runs no code any more.
bool leaderAlive(pid_t group) {
  char path[32] = "/proc/";
  char digits[16];
  int n = 0;
  for (pid_t v = group; v > 0 && n < 15; v /= 10) digits[n++] = static_cast<char>('0' + v % 10);
  std::size_t at = 6;
  while (n > 0) path[at++] = digits[--n];
  for (const char* rest = "/stat"; *rest; ++rest) path[at++] = *rest;
  path[at] = '\0';
  const int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  char stat[512];
  const ssize_t size = read(fd, stat, sizeof stat);
  close(fd);
  if (size <= 0) return false;
  ssize_t close = -1;
  for (ssize_t i = 0; i < size; ++i) {
    if (stat[i] == ')') close = i;
  }
  if (close < 0 || close + 2 >= size) return false;
  const char state = stat[close + 2];
  return state != 'Z' && state != 'X' && state != 'x';
}

bool anyAlive(const pid_t* table, std::size_t count) {
  for (std::size_t i = 0; i < count; ++i) {
    if (leaderAlive(table[i])) return true;
  }
  return false;
}

// Runs this same program with the will's argument, its input on stdin (a pipe: never argv, the
// environment or a file). Returns only when that fails.
void runWill(const char* will, std::uint32_t argumentSize, std::uint32_t inputSize) {
  char argument[OrphanGuard::kWillCapacity + 1];
  for (std::uint32_t i = 0; i < argumentSize; ++i) argument[i] = will[i];
  argument[argumentSize] = '\0';
  int ends[2];
  if (pipe(ends) != 0) return;
  const char* input = will + argumentSize;
  for (std::uint32_t written = 0; written < inputSize;) {
    const ssize_t n = write(ends[1], input + written, inputSize - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    written += static_cast<std::uint32_t>(n);
  }
  close(ends[1]);
  dup2(ends[0], 0);
  close(ends[0]);
  char name[] = "sm-last-will";
  char* argv[] = {name, argument, nullptr};
  char* envp[] = {nullptr};
  execve("/proc/self/exe", argv, envp);
}

// Runs in the forked guard: only async-signal-safe calls, no allocation (the parent has threads).
[[noreturn]] void runGuard(int childEnd, int parentEnd, pid_t* table, std::size_t capacity,
                           char* will) {
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
  std::uint32_t argumentSize = 0, inputSize = 0;
  bool haveWill = false;
  for (;;) {
    GuardMessage message;
    ssize_t n = recv(kGuardSocketFd, &message, sizeof message, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < static_cast<ssize_t>(sizeof(GuardHeader))) break;  // EOF: the supervisor is gone
    const auto& h = message.header;
    if (h.op == '+' && count < capacity) {
      table[count++] = h.processGroup;
    } else if (h.op == '-') {
      for (std::size_t i = 0; i < count; ++i) {
        if (table[i] == h.processGroup) {
          table[i] = table[--count];
          break;
        }
      }
    } else if (h.op == 'W' && h.argumentSize + h.inputSize <= OrphanGuard::kWillCapacity &&
               n == static_cast<ssize_t>(sizeof(GuardHeader) + h.argumentSize + h.inputSize)) {
      for (std::uint32_t i = 0; i < h.argumentSize + h.inputSize; ++i) will[i] = message.will[i];
      argumentSize = h.argumentSize;
      inputSize = h.inputSize;
      haveWill = true;
    } else if (h.op == 'w') {
      haveWill = false;
    }
  }
  for (std::size_t i = 0; i < count; ++i) kill(-table[i], SIGKILL);
  if (haveWill) {
    // Only once nothing it killed runs any more: the will may let others take over what they ran.
    for (int waited = 0; anyAlive(table, count) && waited < kConfirmMs; ++waited) {
      timespec millisecond{0, 1000000};
      nanosleep(&millisecond, nullptr);
    }
    if (!anyAlive(table, count)) runWill(will, argumentSize, inputSize);
  }
  _exit(0);
}

}  // namespace

OrphanGuard::OrphanGuard() : guardTable_(kGuardCapacity), guardWill_(kWillCapacity) {
  spawn();
}

OrphanGuard::~OrphanGuard() {
  // A deliberate end is no death: the will is for a supervisor that dies without a word.
  if (will_ && socket_ >= 0) {
    will_.reset();
    sendWill();
  }
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
  if (pid == 0) {
    runGuard(ends[1], ends[0], guardTable_.data(), guardTable_.size(), guardWill_.data());
  }
  close(ends[1]);
  socket_ = ends[0];
  pid_ = pid;
  pidfd_ = openPidfd(pid);
  for (pid_t group : tracked_) send('+', group);
  if (will_) sendWill();
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
  GuardHeader header{op, processGroup, 0, 0};
  ssize_t n;
  do {
    n = ::send(socket_, &header, sizeof header, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(sizeof header);
}

bool OrphanGuard::sendWill() {
  if (!will_) return send('w', 0);
  GuardMessage message;
  message.header = {'W', 0, static_cast<std::uint32_t>(will_->argument.size()),
                    static_cast<std::uint32_t>(will_->input.size())};
  std::copy(will_->argument.begin(), will_->argument.end(), message.will);
  std::copy(will_->input.begin(), will_->input.end(), message.will + will_->argument.size());
  const auto size = sizeof(GuardHeader) + will_->argument.size() + will_->input.size();
  ssize_t n;
  do {
    n = ::send(socket_, &message, size, MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  return n == static_cast<ssize_t>(size);
}

bool OrphanGuard::setLastWill(std::optional<LastWill> will) {
  if (will && will->argument.size() + will->input.size() > kWillCapacity) return false;
  will_ = std::move(will);
  if (!sendWill()) {
    spdlog::error("orphan guard: cannot hand over its last will");
    return false;
  }
  return true;
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

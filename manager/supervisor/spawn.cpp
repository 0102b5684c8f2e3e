#include "manager/supervisor/spawn.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>

// The child is made with clone(CLONE_VM | CLONE_VFORK), as posix_spawn does: it runs in the
// manager's memory on a stack of its own until it execs, and the manager's thread waits that
// long. A fork() would copy the manager's page tables and make every page it writes next fault,
// for each of the hundreds of processes a large rollout starts on one host. posix_spawn itself
// cannot set PR_SET_PDEATHSIG; Boost.Process's vfork mode allocates in the child and runs it
// with the manager's signal handlers. So the child here only makes system calls, touches nothing
// but its stack and its ChildPlan (where it leaves why it failed), and runs no handler of the
// manager: every signal is blocked across the clone, and the child resets each disposition
// before it unblocks them. CLONE_PIDFD gives the pidfd with the pid.
namespace sm::supervisor {

namespace {

// Everything the child uses, made ready before the clone: it must not allocate.
struct ChildPlan {
  const char* executable;
  char* const* argv;         // NULL-terminated
  char* const* environment;  // NULL-terminated "NAME=value"
  pid_t parent;
  int stdinFd;
  int stdoutFd;
  int stderrFd;
  const char* workingDir;  // nullptr: inherit
  int ignoredSignal;       // 0: none
  // Set by the child when it cannot exec: the call that failed and its errno.
  const char* failedCall = nullptr;
  int failedErrno = 0;
};

// The child's stack: the setup calls and execve need little.
constexpr std::size_t kChildStack = 64 * 1024;

[[noreturn]] void fail(ChildPlan& plan, const char* call) {
  plan.failedErrno = errno;
  plan.failedCall = call;
  _exit(127);
}

int childMain(void* arg) {
  auto& plan = *static_cast<ChildPlan*>(arg);
  // Dispositions before the mask: a handler of the manager must never run here, in its memory.
  // Ignored dispositions survive exec too; the manager's must not leak into services.
  struct sigaction defaults {};
  defaults.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &defaults, nullptr);
  if (plan.ignoredSignal > 0) {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigaction(plan.ignoredSignal, &ignore, nullptr);
  }
  if (setpgid(0, 0) != 0) fail(plan, "setpgid");
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail(plan, "prctl(PR_SET_PDEATHSIG)");
  // The manager may have died before prctl(): then nobody would ever signal us.
  if (getppid() != plan.parent) _exit(127);
  if (dup2(plan.stdinFd, STDIN_FILENO) < 0 || dup2(plan.stdoutFd, STDOUT_FILENO) < 0 ||
      dup2(plan.stderrFd, STDERR_FILENO) < 0)
    fail(plan, "dup2");
  if (plan.workingDir != nullptr && chdir(plan.workingDir) != 0) fail(plan, "chdir");
  syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  execve(plan.executable, plan.argv, plan.environment);
  fail(plan, "execve");
}

// Clones the child of `plan` and waits until it has exec'd or failed. Returns its pid (the pidfd
// in `pidfd`), or -1 with errno when no child could be made.
pid_t cloneChild(ChildPlan& plan, int& pidfd) {
  void* stack = mmap(nullptr, kChildStack, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return -1;
  sigset_t all;
  sigset_t previous;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &previous);
  const pid_t pid = clone(childMain, static_cast<char*>(stack) + kChildStack,
                          CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &plan, &pidfd);
  const int cloneErrno = errno;
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  munmap(stack, kChildStack);
  errno = cloneErrno;
  return pid;
}

class DevNull {
 public:
  DevNull() : fd_(open("/dev/null", O_RDWR | O_CLOEXEC)) {}
  ~DevNull() {
    if (fd_ >= 0) close(fd_);
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

int openPidfd(pid_t pid) {
  // Through syscall(): glibc 2.36's <sys/pidfd.h> lacks extern "C", so its wrapper does not link
  // from C++.
  return static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
}

SpawnResult spawnProcess(const SpawnRequest& request) {
  SpawnResult result;
  DevNull devNull;
  if (devNull.fd() < 0) {
    result.error = fmt::format("cannot open /dev/null: {}", std::strerror(errno));
    return result;
  }
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(request.executable.c_str()));
  for (std::size_t i = 1; i < request.argv.size(); ++i) {
    argv.push_back(const_cast<char*>(request.argv[i].c_str()));
  }
  argv.push_back(nullptr);
  std::vector<char*> environment;
  for (const auto& entry : request.environment) {
    environment.push_back(const_cast<char*>(entry.c_str()));
  }
  environment.push_back(nullptr);

  ChildPlan plan{};
  plan.executable = request.executable.c_str();
  plan.argv = argv.data();
  plan.environment = environment.data();
  plan.parent = getpid();
  plan.stdinFd = devNull.fd();
  plan.stdoutFd = request.stdoutFd >= 0 ? request.stdoutFd : devNull.fd();
  plan.stderrFd = request.stderrFd >= 0 ? request.stderrFd : devNull.fd();
  plan.workingDir = request.workingDir.empty() ? nullptr : request.workingDir.c_str();
  plan.ignoredSignal = request.ignoredSignal;

  int pidfd = -1;
  const pid_t pid = cloneChild(plan, pidfd);
  if (pid < 0) {
    result.error =
        fmt::format("cannot start {}: clone: {}", request.executable, std::strerror(errno));
    return result;
  }
  if (plan.failedCall != nullptr) {
    // It has exited (CLONE_VFORK returned): reaped here, so nothing is left of it.
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    close(pidfd);
    result.error = fmt::format("cannot start {}: {}: {}", request.executable, plan.failedCall,
                               std::strerror(plan.failedErrno));
    return result;
  }
  result.pid = pid;
  result.pidfd = pidfd;
  return result;
}

}  // namespace sm::supervisor

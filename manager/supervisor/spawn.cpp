#include "manager/supervisor/spawn.hpp"

#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/process/args.hpp>
#include <boost/process/child.hpp>
#include <boost/process/exe.hpp>
#include <boost/process/extend.hpp>
#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <system_error>

// Boost.Process does the fork/exec and reports exec errors back through its CLOEXEC pipe. What it
// lacks is added by ChildSetup (its on_setup/on_exec_setup extension points), all async-signal-safe
// in the child: setpgid, PR_SET_PDEATHSIG, stdio, working dir, signal state, closing inherited fds;
// and the environment, because bp::environment is buggy in 1.74 (see on_setup). It has no
// pidfd support, so the pidfd is opened right after the fork: that is race-free because the child
// stays a zombie (its pid reserved) until we reap it, and nobody else waits for our children.
namespace sm::supervisor {

namespace bp = boost::process;

namespace {

struct ChildSetup : bp::extend::handler {
  pid_t parent;
  int stdinFd;
  int stdoutFd;
  int stderrFd;
  const char* workingDir;  // nullptr: inherit
  char** environment;      // NULL-terminated "NAME=value"
  int ignoredSignal;       // 0: none

  // In the parent, before the fork. Our own envp rather than bp::environment, whose find() in
  // Boost 1.74 reads past the end of shorter entries (AddressSanitizer: heap-buffer-overflow).
  template <class Executor>
  void on_setup(Executor& exec) const {
    exec.env = environment;
  }

  template <class Executor>
  [[noreturn]] void fail(Executor& exec, const char* what) const {
    // Reports through Boost's error pipe; the parent then reaps us in on_error().
    exec.set_error(std::error_code(errno, std::system_category()), what);
    _exit(127);
  }

  template <class Executor>
  void on_exec_setup(Executor& exec) const {
    if (setpgid(0, 0) != 0) fail(exec, "setpgid");
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail(exec, "prctl(PR_SET_PDEATHSIG)");
    // The manager may have died between fork() and prctl(): then nobody would ever signal us.
    if (getppid() != parent) _exit(127);

    // Signal mask and ignored dispositions survive exec; the manager's must not leak into services.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    struct sigaction defaults {};
    defaults.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &defaults, nullptr);
    if (ignoredSignal > 0) {
      struct sigaction ignore {};
      ignore.sa_handler = SIG_IGN;
      sigaction(ignoredSignal, &ignore, nullptr);
    }

    if (dup2(stdinFd, STDIN_FILENO) < 0 || dup2(stdoutFd, STDOUT_FILENO) < 0 ||
        dup2(stderrFd, STDERR_FILENO) < 0)
      fail(exec, "dup2");
    if (workingDir != nullptr && chdir(workingDir) != 0) fail(exec, "chdir");
    // Marks rather than closes: Boost's error pipe is needed until execve, and is CLOEXEC anyway.
    syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
  }

  template <class Executor>
  void on_error(Executor& exec, const std::error_code&) const {
    if (exec.pid > 0) waitpid(exec.pid, nullptr, 0);  // the failed child has exited or is exiting
  }
};

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
  ChildSetup setup;
  setup.parent = getpid();
  setup.stdinFd = devNull.fd();
  setup.stdoutFd = request.stdoutFd >= 0 ? request.stdoutFd : devNull.fd();
  setup.stderrFd = request.stderrFd >= 0 ? request.stderrFd : devNull.fd();
  setup.workingDir = request.workingDir.empty() ? nullptr : request.workingDir.c_str();
  setup.ignoredSignal = request.ignoredSignal;

  std::vector<char*> environment;
  for (const auto& entry : request.environment)
    environment.push_back(const_cast<char*>(entry.c_str()));
  environment.push_back(nullptr);
  setup.environment = environment.data();
  std::vector<std::string> args;
  if (request.argv.size() > 1) args.assign(request.argv.begin() + 1, request.argv.end());

  std::error_code ec;
  bp::child child(bp::exe = request.executable, bp::args = args, setup, ec);
  if (ec || !child.valid()) {
    result.error =
        fmt::format("cannot start {}: {}", request.executable, ec ? ec.message() : "unknown error");
    return result;
  }
  // We own reaping from here on; an attached bp::child would waitpid() in its destructor.
  child.detach();
  result.pid = child.id();
  result.pidfd = openPidfd(result.pid);
  if (result.pidfd < 0) {
    result.error = fmt::format("pidfd_open({}): {}", result.pid, std::strerror(errno));
    kill(-result.pid, SIGKILL);
    waitpid(result.pid, nullptr, 0);
    result.pid = -1;
  }
  return result;
}

}  // namespace sm::supervisor

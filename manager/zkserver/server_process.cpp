#include "manager/zkserver/server_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace sm::zkserver {

namespace {

int decodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

ServerProcess::ServerProcess(std::vector<std::string> argv, std::filesystem::path outputFile)
    : ServerProcess(std::move(argv), std::move(outputFile), SpawnOptions{}) {}

ServerProcess::ServerProcess(std::vector<std::string> argv, std::filesystem::path outputFile,
                             const SpawnOptions& options) {
  std::vector<char*> args;
  for (auto& arg : argv) args.push_back(arg.data());
  args.push_back(nullptr);
  const pid_t parent = ::getpid();
  int out = ::open(outputFile.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) {
    throw std::runtime_error("cannot open " + outputFile.string() + ": " + std::strerror(errno));
  }
  pid_ = ::fork();
  if (pid_ < 0) {
    int err = errno;
    ::close(out);
    throw std::runtime_error(std::string("fork: ") + std::strerror(err));
  }
  if (pid_ == 0) {
    // Only async-signal-safe calls from here to exec.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
    if (options.ownProcessGroup) ::setpgid(0, 0);
    // The parent may block its stop signals (servicesmgr, sm-local-zookeeper take them with
    // sigwait); the child must still die of a SIGTERM sent to its PID.
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(out, STDOUT_FILENO);
    ::dup2(out, STDERR_FILENO);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    if (options.searchPath) {
      ::execvp(args[0], args.data());
    } else {
      ::execv(args[0], args.data());
    }
    if (!options.execFailure.empty()) {
      [[maybe_unused]] auto ignored =
          ::write(STDERR_FILENO, options.execFailure.data(), options.execFailure.size());
    }
    ::_exit(127);
  }
  ::close(out);
}

ServerProcess::~ServerProcess() {
  stop();
}

ServerProcess::ServerProcess(ServerProcess&& other) noexcept
    : pid_(other.pid_), exitCode_(other.exitCode_) {
  other.pid_ = -1;
}

ServerProcess& ServerProcess::operator=(ServerProcess&& other) noexcept {
  if (this != &other) {
    stop();
    pid_ = other.pid_;
    exitCode_ = other.exitCode_;
    other.pid_ = -1;
  }
  return *this;
}

bool ServerProcess::reap(bool block) {
  if (pid_ <= 0) return true;
  int status = 0;
  pid_t rc;
  do {
    rc = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (rc < 0 && errno == EINTR);
  if (rc == pid_) {
    exitCode_ = decodeStatus(status);
    pid_ = -1;
    return true;
  }
  if (rc < 0 && errno == ECHILD) {
    exitCode_ = -1;
    pid_ = -1;
    return true;
  }
  return false;
}

bool ServerProcess::running() {
  return pid_ > 0 && !reap(false);
}

bool ServerProcess::waitReaped(std::chrono::milliseconds timeout, std::chrono::milliseconds poll) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!reap(false)) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(poll);  // polling a child's exit
  }
  return true;
}

std::optional<int> ServerProcess::waitExit(std::chrono::milliseconds timeout) {
  if (!waitReaped(timeout, std::chrono::milliseconds(2))) return std::nullopt;
  return exitCode_;
}

void ServerProcess::signal(int sig) const {
  if (pid_ > 0) ::kill(pid_, sig);
}

int ServerProcess::terminate(std::chrono::milliseconds grace, std::chrono::milliseconds poll) {
  if (pid_ <= 0) return exitCode_.value_or(-1);
  ::kill(pid_, SIGCONT);  // a frozen process cannot act on SIGTERM
  ::kill(pid_, SIGTERM);
  if (waitReaped(grace, poll)) return exitCode_.value_or(-1);
  return kill();
}

int ServerProcess::terminate(std::chrono::milliseconds grace) {
  return terminate(grace, std::chrono::milliseconds(2));
}

void ServerProcess::stop(std::chrono::milliseconds grace) {
  terminate(grace, std::chrono::milliseconds(10));
}

int ServerProcess::kill() {
  if (pid_ <= 0) return exitCode_.value_or(-1);
  ::kill(pid_, SIGKILL);
  reap(true);
  return exitCode_.value_or(-1);
}

void ServerProcess::freeze() {
  if (pid_ > 0) ::kill(pid_, SIGSTOP);
}

void ServerProcess::thaw() {
  if (pid_ > 0) ::kill(pid_, SIGCONT);
}

}  // namespace sm::zkserver

#include "tests/daemon/support/daemon_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

namespace sm::test {

namespace {

int decodeStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::string readWhole(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

std::vector<std::string> daemonArguments(const DaemonOptions& o) {
  std::vector<std::string> args = {"--zk",
                                   o.zk,
                                   "--root",
                                   o.root,
                                   "--host-id",
                                   o.hostId,
                                   "--work-dir",
                                   o.workDir.string(),
                                   "--session-timeout-ms",
                                   std::to_string(o.sessionTimeoutMs),
                                   "--log-level",
                                   o.logLevel};
  if (!o.labels.empty()) {
    std::string labels;
    for (const auto& [key, value] : o.labels) {
      if (!labels.empty()) labels += ',';
      labels += key + "=" + value;
    }
    args.push_back("--labels");
    args.push_back(labels);
  }
  if (o.freeMemoryMb) {
    args.push_back("--free-memory-mb");
    args.push_back(std::to_string(*o.freeMemoryMb));
  }
  if (o.loadAverage) {
    args.push_back("--load-average");
    args.push_back(fmt::format("{}", *o.loadAverage));
  }
  args.insert(args.end(), o.extraArgs.begin(), o.extraArgs.end());
  return args;
}

DaemonProcess::DaemonProcess(DaemonOptions options) : options_(std::move(options)) {
  static std::atomic<int> starts{0};
  std::filesystem::create_directories(options_.workDir);
  logFile_ = options_.workDir / fmt::format("servicesmgr-{}.log", starts++);

  std::vector<std::string> argStrings{SM_SERVICESMGR};
  auto rest = daemonArguments(options_);
  argStrings.insert(argStrings.end(), rest.begin(), rest.end());
  std::vector<char*> argv;
  for (auto& a : argStrings) argv.push_back(a.data());
  argv.push_back(nullptr);

  int out = ::open(logFile_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (out < 0) {
    throw std::runtime_error("cannot open " + logFile_.string() + ": " + std::strerror(errno));
  }
  const pid_t parent = ::getpid();
  pid_ = ::fork();
  if (pid_ < 0) {
    const int err = errno;
    ::close(out);
    throw std::runtime_error(std::string("fork: ") + std::strerror(err));
  }
  if (pid_ == 0) {
    // Only async-signal-safe calls from here to exec.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(127);  // the test died before prctl took effect
    ::dup2(out, STDOUT_FILENO);
    ::dup2(out, STDERR_FILENO);
    const int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, STDIN_FILENO);
    ::execv(argv[0], argv.data());
    static const char kFailed[] = "test harness: exec of servicesmgr failed\n";
    [[maybe_unused]] auto ignored = ::write(STDERR_FILENO, kFailed, sizeof kFailed - 1);
    ::_exit(127);
  }
  ::close(out);
}

DaemonProcess::~DaemonProcess() {
  if (pid_ > 0 && !exitCode_) kill();
}

std::string DaemonProcess::log() const {
  return readWhole(logFile_);
}

std::string DaemonProcess::logTail(size_t lines) const {
  const std::string text = log();
  size_t pos = text.size();
  size_t count = 0;
  while (pos > 0) {
    const size_t nl = text.rfind('\n', pos - 1);
    if (nl == std::string::npos) {
      pos = 0;
      break;
    }
    if (nl + 1 < text.size() && ++count > lines) {
      pos = nl + 1;
      break;
    }
    pos = nl;
  }
  return text.substr(pos);
}

bool DaemonProcess::reap(bool block) {
  if (pid_ <= 0 || exitCode_) return true;
  int status = 0;
  pid_t rc;
  do {
    rc = ::waitpid(pid_, &status, block ? 0 : WNOHANG);
  } while (rc < 0 && errno == EINTR);
  if (rc == pid_) {
    exitCode_ = decodeStatus(status);
    return true;
  }
  if (rc < 0 && errno == ECHILD) {
    exitCode_ = -1;
    return true;
  }
  return false;
}

bool DaemonProcess::running() {
  return !reap(false);
}

std::optional<int> DaemonProcess::waitExit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!reap(false)) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // polling a child's exit
  }
  return exitCode_;
}

void DaemonProcess::signal(int sig) const {
  if (pid_ > 0 && !exitCode_) ::kill(pid_, sig);
}

int DaemonProcess::terminate(std::chrono::milliseconds grace) {
  if (exitCode_) return *exitCode_;
  ::kill(pid_, SIGCONT);  // a frozen daemon cannot act on SIGTERM
  ::kill(pid_, SIGTERM);
  if (auto code = waitExit(grace)) return *code;
  return kill();
}

int DaemonProcess::kill() {
  if (exitCode_) return *exitCode_;
  ::kill(pid_, SIGKILL);
  reap(true);
  return exitCode_.value_or(-1);
}

bool pidAlive(pid_t pid) {
  if (pid <= 0) return false;
  const std::string stat = readWhole(fmt::format("/proc/{}/stat", pid));
  const size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return false;
  const char state = stat[close + 2];
  return state != 'Z' && state != 'X' && state != 'x';
}

pid_t parentPid(pid_t pid) {
  const std::string stat = readWhole(fmt::format("/proc/{}/stat", pid));
  const size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 4 >= stat.size()) return -1;
  std::istringstream in(stat.substr(close + 4));
  pid_t ppid = -1;
  in >> ppid;
  return ppid;
}

std::string processCommandLine(pid_t pid) {
  std::string cmdline = readWhole(fmt::format("/proc/{}/cmdline", pid));
  while (!cmdline.empty() && cmdline.back() == '\0') cmdline.pop_back();
  for (auto& c : cmdline) {
    if (c == '\0') c = ' ';
  }
  return cmdline;
}

}  // namespace sm::test

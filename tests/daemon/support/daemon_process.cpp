#include "tests/daemon/support/daemon_process.hpp"

#include <unistd.h>

#include <atomic>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace sm::test {

std::string readWholeFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<pid_t> childrenOfThisProcess() {
  std::vector<pid_t> result;
  const pid_t self = ::getpid();
  std::error_code ec;
  for (std::filesystem::directory_iterator it("/proc", ec), end; !ec && it != end;
       it.increment(ec)) {
    const auto name = it->path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(name));
    if (parentPid(pid) == self) result.push_back(pid);
  }
  return result;
}

std::vector<std::string> daemonArguments(const DaemonOptions& o) {
  std::vector<std::string> args = {"--zk",
                                   o.zk,
                                   "--root",
                                   o.root,
                                   "--host-id",
                                   o.hostId,
                                   "--work-dir",
                                   o.workDir.string(),
                                   // Inside the test's own folder, kept across the host's restarts.
                                   "--data-dir",
                                   (o.workDir / "data").string(),
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

  std::vector<std::string> argStrings;
  // `ip netns exec` execs servicesmgr in place: the pid we own is still the daemon's.
  if (!options_.netns.empty()) argStrings = {"ip", "netns", "exec", options_.netns};
  argStrings.push_back(SM_SERVICESMGR);
  auto rest = daemonArguments(options_);
  argStrings.insert(argStrings.end(), rest.begin(), rest.end());
  process_ = zkserver::ServerProcess(
      std::move(argStrings), logFile_,
      zkserver::SpawnOptions{.ownProcessGroup = false,
                             .searchPath = !options_.netns.empty(),
                             .execFailure = "test harness: exec of servicesmgr failed\n"});
  pid_ = process_.pid();
}

DaemonProcess::~DaemonProcess() {
  process_.kill();
}

std::string DaemonProcess::log() const {
  return readWholeFile(logFile_);
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

bool pidAlive(pid_t pid) {
  if (pid <= 0) return false;
  const std::string stat = readWholeFile(fmt::format("/proc/{}/stat", pid));
  const size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return false;
  const char state = stat[close + 2];
  return state != 'Z' && state != 'X' && state != 'x';
}

pid_t parentPid(pid_t pid) {
  const std::string stat = readWholeFile(fmt::format("/proc/{}/stat", pid));
  const size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 4 >= stat.size()) return -1;
  std::istringstream in(stat.substr(close + 4));
  pid_t ppid = -1;
  in >> ppid;
  return ppid;
}

std::string processCommandLine(pid_t pid) {
  std::string cmdline = readWholeFile(fmt::format("/proc/{}/cmdline", pid));
  while (!cmdline.empty() && cmdline.back() == '\0') cmdline.pop_back();
  for (auto& c : cmdline) {
    if (c == '\0') c = ' ';
  }
  return cmdline;
}

}  // namespace sm::test

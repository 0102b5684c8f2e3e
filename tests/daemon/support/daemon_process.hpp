#pragma once
// One `servicesmgr` daemon run as a child of the test, owned by its PID: started with
// PR_SET_PDEATHSIG (it dies with the test even when the test is SIGKILLed), its stdout and stderr
// in a log file in its own work dir, stopped with SIGTERM (SIGKILL after a grace period) and
// reaped.
#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "manager/zkserver/server_process.hpp"

namespace sm::test {

struct DaemonOptions {
  std::string zk;      // connect string
  std::string root;    // --root
  std::string hostId;  // --host-id
  std::filesystem::path workDir;
  std::map<std::string, std::string> labels;
  int sessionTimeoutMs = 3000;
  std::optional<long long> freeMemoryMb;  // --free-memory-mb
  std::optional<double> loadAverage;      // --load-average
  std::string logLevel = "info";
  std::vector<std::string> extraArgs;
  // The network namespace to run it in (`ip netns exec`), empty for the test's own.
  std::string netns;
};

// The command line the options give (without the program).
std::vector<std::string> daemonArguments(const DaemonOptions& options);

class DaemonProcess {
 public:
  // Starts the daemon (does not wait for it to be ready). Fork from a thread that lives as long as
  // the daemon should: PR_SET_PDEATHSIG fires when the forking thread ends.
  explicit DaemonProcess(DaemonOptions options);
  ~DaemonProcess();  // kill() if still running
  DaemonProcess(const DaemonProcess&) = delete;
  DaemonProcess& operator=(const DaemonProcess&) = delete;

  pid_t pid() const { return pid_; }
  const DaemonOptions& options() const { return options_; }
  const std::string& hostId() const { return options_.hostId; }
  const std::filesystem::path& workDir() const { return options_.workDir; }
  const std::filesystem::path& logFile() const { return logFile_; }
  std::string log() const;
  std::string logTail(size_t lines = 60) const;

  // Still running (reaps it if it has exited).
  bool running() { return process_.running(); }
  // The exit code once reaped: the code, or 128 + signal.
  std::optional<int> exitCode() const { return process_.exitCode(); }
  // Waits for the exit; nullopt if it still runs after the timeout.
  std::optional<int> waitExit(std::chrono::milliseconds timeout) {
    return process_.waitExit(timeout);
  }
  void signal(int sig) const { process_.signal(sig); }
  // SIGTERM, then SIGKILL if it has not exited within `grace`; returns the exit code (128 + 9 when
  // it had to be killed).
  int terminate(std::chrono::milliseconds grace = std::chrono::milliseconds(15000)) {
    return process_.terminate(grace);
  }
  // SIGKILL and reap.
  int kill() { return process_.kill(); }

 private:
  DaemonOptions options_;
  std::filesystem::path logFile_;
  zkserver::ServerProcess process_;
  pid_t pid_ = -1;  // kept after the process is reaped
};

// A process is alive when /proc shows it and it is not a zombie.
bool pidAlive(pid_t pid);
// None of the processes is alive.
template <typename Pid>
bool noneAlive(const std::vector<Pid>& pids) {
  return std::none_of(pids.begin(), pids.end(),
                      [](Pid pid) { return pidAlive(static_cast<pid_t>(pid)); });
}
// argv of a process joined with spaces, "" if it is gone.
std::string processCommandLine(pid_t pid);
// Parent pid from /proc/<pid>/stat, -1 if it is gone.
pid_t parentPid(pid_t pid);
// The live direct children of this process, from /proc: as a child subreaper, a test inherits
// every process whose parent (a daemon) died.
std::vector<pid_t> childrenOfThisProcess();
// A whole file ("" if it cannot be read): /proc entries, logs.
std::string readWholeFile(const std::filesystem::path& path);

}  // namespace sm::test

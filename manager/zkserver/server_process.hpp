#pragma once
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sm::zkserver {

// How the child is set up between fork and exec.
struct SpawnOptions {
  bool ownProcessGroup = true;  // setpgid(0, 0) in the child
  bool searchPath = true;       // execvp (else execv: argv[0] is a path)
  std::string execFailure;      // written to the output file when exec fails ("" for nothing)
};

// One child process, owned by PID: started with PR_SET_PDEATHSIG so it dies with us even when we
// are SIGKILLed, and stopped (TERM, then KILL after a grace period) and reaped by its own PID.
// PR_SET_PDEATHSIG fires when the *thread* that forked exits: start it from a thread that lives
// as long as the process should. stdout and stderr are appended to `outputFile`, stdin is
// /dev/null.
class ServerProcess {
 public:
  ServerProcess() = default;
  ServerProcess(std::vector<std::string> argv, std::filesystem::path outputFile);
  ServerProcess(std::vector<std::string> argv, std::filesystem::path outputFile,
                const SpawnOptions& options);
  ~ServerProcess();  // stop()
  ServerProcess(ServerProcess&& other) noexcept;
  ServerProcess& operator=(ServerProcess&& other) noexcept;
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // -1 once reaped.
  pid_t pid() const { return pid_; }
  // Not yet exited (reaps it if it has).
  bool running();
  // The exit code once reaped: the code, 128 + signal, or -1 when it could not be told.
  std::optional<int> exitCode() const { return exitCode_; }
  // Waits for the exit (polling every 2 ms); nullopt if it still runs after the timeout.
  std::optional<int> waitExit(std::chrono::milliseconds timeout);
  void signal(int sig) const;  // to the process, while it is not reaped
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));
  // SIGCONT and SIGTERM, then SIGKILL if it has not exited within `grace`; returns the exit code
  // (128 + 9 when it had to be killed).
  int terminate(std::chrono::milliseconds grace);
  int kill();     // SIGKILL and reap; returns the exit code
  void freeze();  // SIGSTOP
  void thaw();    // SIGCONT

 private:
  bool reap(bool block);
  bool waitReaped(std::chrono::milliseconds timeout, std::chrono::milliseconds poll);
  int terminate(std::chrono::milliseconds grace, std::chrono::milliseconds poll);

  pid_t pid_ = -1;
  std::optional<int> exitCode_;
};

}  // namespace sm::zkserver

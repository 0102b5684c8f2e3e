#pragma once
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace sm::zkserver {

// One child process, owned by PID: started with PR_SET_PDEATHSIG so it dies with us even when we
// are SIGKILLed, and stopped (TERM, then KILL after a grace period) and reaped by its own PID.
// PR_SET_PDEATHSIG fires when the *thread* that forked exits: start it from a thread that lives
// as long as the process should.
class ServerProcess {
 public:
  ServerProcess() = default;
  ServerProcess(std::vector<std::string> argv, std::filesystem::path outputFile);
  ~ServerProcess();
  ServerProcess(ServerProcess&& other) noexcept;
  ServerProcess& operator=(ServerProcess&& other) noexcept;
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  pid_t pid() const { return pid_; }
  // Not yet exited (reaps it if it has).
  bool running();
  void stop(std::chrono::milliseconds grace = std::chrono::milliseconds(5000));
  void kill();    // SIGKILL and reap
  void freeze();  // SIGSTOP
  void thaw();    // SIGCONT

 private:
  bool reap(bool block);
  pid_t pid_ = -1;
};

}  // namespace sm::zkserver

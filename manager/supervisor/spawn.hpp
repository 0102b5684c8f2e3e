#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace sm::supervisor {

struct SpawnRequest {
  std::string executable;                // resolved path (see resolveExecutable)
  std::vector<std::string> argv;         // argv[1..] are passed; argv[0] becomes `executable`
  std::vector<std::string> environment;  // complete, "NAME=value"
  std::string workingDir;                // empty: inherit
  int stdoutFd = -1;                     // -1: /dev/null
  int stderrFd = -1;
  // Starts ignored (0: none): a notice sent before the program installed its handler (or blocked
  // it to wait for it) must not kill it; it reads its role file at start anyway.
  int ignoredSignal = 0;
};

struct SpawnResult {
  pid_t pid = -1;
  int pidfd = -1;     // owned by the caller; readable when the process exits
  std::string error;  // set when the start failed; nothing is left running then
  bool ok() const { return pid > 0; }
};

// Starts one process (clone and exec, see spawn.cpp) in its own process group with
// PR_SET_PDEATHSIG(SIGKILL), a clean signal mask and dispositions, stdin on /dev/null and every
// other inherited fd closed at exec. Call it only on the supervisor's event thread (see EventLoop):
// the death signal is tied to the thread that starts it. An exec that fails is a start failure (the
// error names the call).
SpawnResult spawnProcess(const SpawnRequest& request);

// pidfd_open(2) for a child of ours (CLOEXEC); -1 with errno on failure.
int openPidfd(pid_t pid);

}  // namespace sm::supervisor

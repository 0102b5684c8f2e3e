#pragma once

#include <string>

namespace sm::supervisor {

struct ExitStatus {
  bool signaled = false;
  int code = 0;    // exit code when !signaled
  int signal = 0;  // terminating signal when signaled

  bool success() const { return !signaled && code == 0; }
  std::string describe() const;

  // From a waitpid() status word.
  static ExitStatus fromWaitStatus(int status);
};

// "TERM", "KILL", ... or "?".
const char* signalName(int signal);

}  // namespace sm::supervisor

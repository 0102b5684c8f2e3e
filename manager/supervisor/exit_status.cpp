#include "manager/supervisor/exit_status.hpp"

#include <fmt/format.h>
#include <string.h>
#include <sys/wait.h>

namespace sm::supervisor {

std::string ExitStatus::describe() const {
  if (signaled) return fmt::format("killed by signal {} ({})", signal, signalName(signal));
  return fmt::format("exited with code {}", code);
}

const char* signalName(int signal) {
  const char* name = sigabbrev_np(signal);
  return name != nullptr ? name : "?";
}

ExitStatus ExitStatus::fromWaitStatus(int status) {
  ExitStatus result;
  if (WIFSIGNALED(status)) {
    result.signaled = true;
    result.signal = WTERMSIG(status);
  } else if (WIFEXITED(status)) {
    result.code = WEXITSTATUS(status);
  }
  return result;
}

}  // namespace sm::supervisor

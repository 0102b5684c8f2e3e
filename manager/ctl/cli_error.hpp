#pragma once
#include <stdexcept>
#include <string>

namespace sm::ctl {

// Exit codes, as kubectl users expect them.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;  // the operation failed: ZooKeeper down, conflict, not found
inline constexpr int kExitUsage = 2;   // usage or validation error: nothing was attempted

// A failure the CLI reports in one message and an exit code. Commands throw it; main prints it.
class CliError : public std::runtime_error {
 public:
  CliError(int exitCode, const std::string& message)
      : std::runtime_error(message), exitCode_(exitCode) {}
  int exitCode() const { return exitCode_; }

 private:
  int exitCode_;
};

inline CliError usageError(const std::string& message) {
  return CliError(kExitUsage, message);
}
inline CliError operationFailed(const std::string& message) {
  return CliError(kExitFailed, message);
}

}  // namespace sm::ctl

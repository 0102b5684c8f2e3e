#pragma once
// Runs a short system command (`ip ...`, `sysctl ...`) as a child, by PID, and captures what it
// says: the network harness builds namespaces, links and cuts with the iproute2 tools a user would
// type, not with netlink code of its own.
#include <string>
#include <vector>

namespace sm::test {

struct CommandResult {
  int exitCode = -1;   // 128 + signal when killed by one, -1 when it could not be started
  std::string output;  // stdout and stderr together
};

// Runs argv (searched in PATH, then in /usr/sbin and /sbin) to its end.
CommandResult runCommand(const std::vector<std::string>& argv);
// Runs argv and throws std::runtime_error with the command and its output unless it exits 0.
std::string runChecked(const std::vector<std::string>& argv);

}  // namespace sm::test

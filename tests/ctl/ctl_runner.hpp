#pragma once
// Runs the real servicesctl binary as a child process, as a user would, and captures what it says.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sm::test {

struct CtlResult {
  int exitCode = -1;  // 128 + signal when killed by one
  std::string out;
  std::string err;
};

// One child: stdout and stderr go to files (no pipe to fill up), stdin from a file. The environment
// is the test's own without SERVICESMGR_* variables, plus `env` ("NAME=value").
class CtlProcess {
 public:
  CtlProcess(const std::vector<std::string>& args, const std::string& stdinText = "",
             const std::vector<std::string>& env = {});
  ~CtlProcess();  // kills the child by its pid if it still runs
  CtlProcess(const CtlProcess&) = delete;
  CtlProcess& operator=(const CtlProcess&) = delete;

  pid_t pid() const { return pid_; }
  std::string out() const;
  std::string err() const;
  void signal(int sig) const;
  // The exit code, or nullopt if the child still runs after `timeout`.
  std::optional<int> wait(std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  std::filesystem::path dir_;
  pid_t pid_ = -1;
  std::optional<int> exitCode_;
};

// Runs to the end (at most 30 s).
CtlResult runCtl(const std::vector<std::string>& args, const std::string& stdinText = "",
                 const std::vector<std::string>& env = {});

std::string readFile(const std::filesystem::path& path);
void writeFile(const std::filesystem::path& path, const std::string& text);

}  // namespace sm::test

#include "tests/support/debian_tool.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "manager/zkserver/server_process.hpp"

namespace sm::test {

std::optional<std::string> findTool(const std::string& name) {
  std::vector<std::string> dirs;
  if (const char* path = std::getenv("PATH")) {
    std::stringstream list(path);
    for (std::string dir; std::getline(list, dir, ':');) {
      if (!dir.empty()) dirs.push_back(dir);
    }
  }
  for (const char* dir : {"/usr/bin", "/usr/sbin", "/sbin", "/bin"}) dirs.push_back(dir);
  for (const auto& dir : dirs) {
    const auto candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

ToolRun runTool(const std::vector<std::string>& argv, const std::filesystem::path& outputFile,
                const std::filesystem::path& stdinFile, std::chrono::milliseconds timeout) {
  std::vector<std::string> command = argv;
  if (!stdinFile.empty()) {
    // ServerProcess gives its children /dev/null as stdin: a shell redirects the file instead.
    std::string line = "exec";
    for (const auto& arg : argv) line += " '" + arg + "'";
    line += " < '" + stdinFile.string() + "'";
    command = {"/bin/sh", "-c", line};
  }
  std::filesystem::remove(outputFile);
  zkserver::SpawnOptions options;
  options.searchPath = false;
  options.execFailure = "cannot run " + argv.front() + "\n";
  ToolRun run;
  {
    zkserver::ServerProcess process(command, outputFile, options);
    const auto code = process.waitExit(timeout);
    if (code) {
      run.exitCode = *code;
    } else {
      process.kill();
    }
  }
  std::ifstream in(outputFile);
  std::ostringstream out;
  out << in.rdbuf();
  run.output = out.str();
  return run;
}

}  // namespace sm::test

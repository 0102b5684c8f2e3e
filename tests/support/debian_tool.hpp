#pragma once
// Real tools from Debian packages that some tests drive (promtool, haproxy, dpkg-deb): where they
// are, and one run of a tool to its end, by its own PID.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace sm::test {

// The tool's path: on PATH, or in /usr/sbin and /sbin (haproxy); nullopt when it is not installed.
std::optional<std::string> findTool(const std::string& name);

struct ToolRun {
  int exitCode = -1;   // 128 + signal when killed; -1 when it did not end in time (then killed)
  std::string output;  // stdout and stderr
};

// Runs argv (argv[0] a path) to its end, with `stdinFile` as its stdin when not empty; output in
// `outputFile`, killed after `timeout`.
ToolRun runTool(const std::vector<std::string>& argv, const std::filesystem::path& outputFile,
                const std::filesystem::path& stdinFile = {},
                std::chrono::milliseconds timeout = std::chrono::milliseconds(60000));

}  // namespace sm::test

#include "manager/supervisor/executable.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fmt/format.h>
#include <string_view>

namespace sm::supervisor {

namespace {

// Empty when `path` is a runnable file, else the reason.
std::string whyNotRunnable(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return std::strerror(errno);
  if (!S_ISREG(st.st_mode)) return "not a regular file";
  if (access(path.c_str(), X_OK) != 0) return "not executable";
  return {};
}

}  // namespace

ResolvedExecutable resolveExecutable(const std::string& argv0, const std::string& searchPath,
                                     const std::string& workingDir) {
  if (argv0.empty()) return {{}, "empty argv"};
  if (argv0.find('/') != std::string::npos) {
    std::string path = argv0;
    if (path.front() != '/' && !workingDir.empty()) path = workingDir + "/" + path;
    std::string why = whyNotRunnable(path);
    if (!why.empty()) return {{}, fmt::format("{}: {}", path, why)};
    return {path, {}};
  }
  std::string_view rest = searchPath;
  std::string firstReason;
  while (true) {
    auto colon = rest.find(':');
    std::string dir(rest.substr(0, colon));
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + argv0;
    std::string why = whyNotRunnable(candidate);
    if (why.empty()) return {candidate, {}};
    if (firstReason.empty() && access(candidate.c_str(), F_OK) == 0)
      firstReason = fmt::format("{}: {}", candidate, why);
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  if (!firstReason.empty()) return {{}, firstReason};
  return {{}, fmt::format("{}: not found in PATH ({})", argv0, searchPath)};
}

}  // namespace sm::supervisor

// Fails when any process still runs from the daemon tests' folder: a `servicesmgr` daemon (its
// --work-dir is there) or a managed process (its environment points there, e.g. SM_ROLE_FILE). Each
// one found is reported and stopped by its PID, so that nothing outlives the run.
#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

namespace {

std::string readAll(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: sm-no-daemon-left FOLDER\n";
    return 2;
  }
  const std::string folder = std::filesystem::weakly_canonical(argv[1]).string();
  const std::string self = std::to_string(::getpid());
  int found = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos || name == self) continue;
    std::string cmdline = readAll(entry.path() / "cmdline");
    const std::string environ = readAll(entry.path() / "environ");
    if (cmdline.find(folder) == std::string::npos && environ.find(folder) == std::string::npos) {
      continue;
    }
    for (auto& c : cmdline) {
      if (c == '\0') c = ' ';
    }
    std::cerr << "process of the daemon tests left running: pid " << name << ": " << cmdline
              << " (killed)\n";
    ::kill(static_cast<pid_t>(std::stol(name)), SIGKILL);
    ++found;
  }
  if (found) return 1;
  std::cout << "no daemon or managed process of this run is left under " << folder << "\n";
  return 0;
}

// Fails when any process still runs a ZooKeeper server from the given folder: every test of the run
// puts its servers' folders there, so a match is a server a test failed to stop.
#include <sys/types.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: sm-no-zookeeper-left FOLDER\n";
    return 2;
  }
  const std::string folder = std::filesystem::weakly_canonical(argv[1]).string();
  int found = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const auto name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "cmdline", std::ios::binary);
    std::string cmdline((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (auto& c : cmdline) {
      if (c == '\0') c = ' ';
    }
    if (cmdline.find("QuorumPeerMain") != std::string::npos &&
        cmdline.find(folder) != std::string::npos) {
      std::cerr << "ZooKeeper server left running: pid " << name << ": " << cmdline << "\n";
      ++found;
    }
  }
  if (found) return 1;
  std::cout << "no ZooKeeper server of this run is left under " << folder << "\n";
  return 0;
}

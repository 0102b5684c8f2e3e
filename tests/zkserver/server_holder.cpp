// A test's stand-in: starts a standalone server and an ensemble, writes the servers' PIDs to a
// file, then either waits to be killed ("wait"), or fails a GoogleTest assertion while holding them
// ("fail").
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "manager/zkserver/local_zookeeper.hpp"

namespace {
std::string gMode;
std::string gPidFile;

TEST(ServerHolder, HoldsServers) {
  sm::zkserver::LocalZooKeeper standalone;
  sm::zkserver::LocalEnsemble ensemble(3);
  {
    std::ofstream out(gPidFile + ".tmp");
    out << standalone.pid();
    for (size_t i = 0; i < ensemble.size(); ++i) out << " " << ensemble.server(i).pid();
    out << "\n";
  }
  std::rename((gPidFile + ".tmp").c_str(), gPidFile.c_str());
  if (gMode == "wait") {
    for (;;) ::pause();
  }
  FAIL() << "failing on purpose while holding the servers";
}
}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc != 3) return 2;
  gMode = argv[1];
  gPidFile = argv[2];
  return RUN_ALL_TESTS();
}

// servicesctl: the operator's command line for a servicesmgr tree in ZooKeeper.
#include <spdlog/spdlog.h>

#include "manager/ctl/cli.hpp"

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);  // the CLI is quiet: only its own output and errors
  return sm::ctl::runCli(argc, argv);
}

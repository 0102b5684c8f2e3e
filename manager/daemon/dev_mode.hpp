#pragma once
// `servicesmgr --dev`, like `nomad agent -dev`: a private standalone ZooKeeper from the Debian
// package as our child (PR_SET_PDEATHSIG: it dies with us), a temp root and work dir, and the
// connect string printed (and written to --dev-env-file) for servicesctl and other daemons.
#include <functional>

#include "manager/daemon/options.hpp"

namespace sm::daemon {

// Starts the ZooKeeper, fills in zk, root and workDir, tells the user, runs `runDaemon` until it
// returns (after SIGINT/SIGTERM it has stopped its services), then stops the ZooKeeper by PID and
// removes the temp folder and the env file. Returns the daemon's exit code, or 1 when the
// ZooKeeper could not start.
int runDevMode(DaemonOptions options, const std::function<int(const DaemonOptions&)>& runDaemon);

}  // namespace sm::daemon

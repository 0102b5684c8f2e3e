#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "manager/zk/types.hpp"

namespace sm::daemon {

struct DaemonOptions {
  std::string zk = "127.0.0.1:2181";
  std::string root = "/servicesmgr";
  std::string hostId;  // defaults to the hostname
  std::map<std::string, std::string> labels;
  std::string workDir;  // defaults to /tmp/servicesmgr-<hostId>
  std::chrono::milliseconds sessionTimeout{6000};
  std::string logLevel = "info";
  std::vector<zk::DigestCredential> credentials;
  // What the host reports instead of measuring (tests, or an operator reserving resources).
  std::optional<std::int64_t> freeMemoryMB;
  std::optional<double> loadAverage;
  // Test-only (hidden --test-break-lease): master leases never lapse, which breaks I1 on purpose so
  // that the chaos suite can show it catches a double master.
  bool testBreakLease = false;
};

// Parses the command line (and the --config file it names). Returns the options, or the exit code
// to leave with: 0 after --help, 2 for a usage error (already printed).
struct ParsedOptions {
  std::optional<DaemonOptions> options;
  int exitCode = 0;
};
ParsedOptions parseOptions(int argc, char** argv);

}  // namespace sm::daemon

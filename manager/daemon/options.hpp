#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "manager/observe/http_address.hpp"
#include "manager/zk/types.hpp"

namespace sm::daemon {

struct DaemonOptions {
  std::string zk = "127.0.0.1:2181";
  std::string root = "/servicesmgr";
  std::string hostId;   // defaults to the hostname
  std::string address;  // where peers reach this host's services; defaults to the hostname
  std::map<std::string, std::string> labels;
  std::string workDir;  // defaults to /tmp/servicesmgr-<hostId> (with --dev, a temp folder)
  // Persistent instances' data (<dataDir>/<type>/<uuid>): it must survive reboots, so never /tmp
  // by default: /var/lib/servicesmgr for root, else $XDG_STATE_HOME (~/.local/state)/servicesmgr;
  // with --dev, the temp folder.
  std::string dataDir;
  std::chrono::milliseconds sessionTimeout{6000};
  std::string logLevel = "info";
  std::vector<zk::DigestCredential> credentials;
  // With credentials, nodes this daemon creates let only them write; everyone may read them unless
  // this is set (--read-access credentials), then only the credentials may.
  bool credentialsOnlyRead = false;
  // What the host reports instead of measuring (tests, or an operator reserving resources).
  std::optional<std::int64_t> freeMemoryMB;
  std::optional<double> loadAverage;
  // --dev: run a private ZooKeeper and a temp root/work dir for this daemon (dev_mode.hpp).
  bool dev = false;
  std::string devEnvFile;  // where --dev writes the export line for servicesctl
  bool rootGiven = false;  // --root (or SERVICESMGR_ROOT) was set, so --dev keeps it
  // --http ADDR:PORT: the read-only HTTP endpoint (metrics, health, master checks, logs); off
  // unless given, and on the address given only (docs/operations.md, "Monitoring").
  std::optional<observe::HttpAddress> http;
};

// Parses the command line (and the --config file it names). Returns the options, or the exit code
// to leave with: 0 after --help, 2 for a usage error (already printed).
struct ParsedOptions {
  std::optional<DaemonOptions> options;
  int exitCode = 0;
};
ParsedOptions parseOptions(int argc, char** argv);

}  // namespace sm::daemon

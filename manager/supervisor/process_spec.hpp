#pragma once

#include <csignal>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

// What the supervisor runs, as a plain struct. The daemon maps its YAML model onto this; the
// supervisor deliberately knows nothing of config/ or ZooKeeper so that it can be tested alone.
namespace sm::supervisor {

enum class RestartPolicy { Always, OnFailure, Never };

struct RestartSpec {
  RestartPolicy policy = RestartPolicy::OnFailure;
  int backoffInitialMs = 200;
  int backoffMaxMs = 30000;
  // A run at least this long counts as steady: the backoff starts again from backoffInitialMs.
  int steadyRunMs = 10000;
  // `crashLoopFailures` unplanned ends within `crashLoopWindowSeconds` mark the instance failed.
  int crashLoopFailures = 5;
  int crashLoopWindowSeconds = 60;
};

struct StopSpec {
  int signal = SIGTERM;
  int timeoutMs = 10000;
};

struct RoleNoticeSpec {
  enum class Kind { None, Signal, Exec };
  Kind kind = Kind::None;
  int signal = SIGUSR1;
  std::vector<std::string> execArgv;  // the role name is appended as the last argument
  int execTimeoutMs = 5000;
};

struct HealthSpec {
  enum class Kind { None, Exec, Tcp };
  Kind kind = Kind::None;
  std::vector<std::string> execArgv;  // healthy when it exits 0 within timeoutMs
  std::string tcpPortName;            // a name from ProcessSpec::ports ...
  int tcpPort = 0;                    // ... or a fixed port; probed on 127.0.0.1
  std::string tcpSend;                // sent once connected ...
  std::string tcpExpect;              // ... and the answer must start with this
  int initialDelayMs = 0;
  int intervalMs = 1000;
  int timeoutMs = 1000;
  int failureThreshold = 3;
};

struct LogSpec {
  std::string dir;  // <dir>/<instanceId>.stdout.log and .stderr.log
  std::size_t rotateBytes = 10 * 1024 * 1024;
  int keepFiles = 5;  // rotated files kept besides the live one: .1 (newest) .. .keepFiles
};

// Handed to the process as SM_* variables; the supervisor does not interpret them.
struct InstanceIdentity {
  std::string zk;
  std::string zroot;
  std::string serviceType;
  std::string logicalService;
  std::string physicalId;
  std::string hostId;
  std::string dataDir;  // SM_DATA_DIR, for a persistent instance; empty: not set
  std::string daemonSocket;  // SM_DAEMON_SOCKET, where it asks for locks; empty: not set
};

struct ProcessSpec {
  std::string instanceId;         // unique within one Supervisor; names log and role files
  std::vector<std::string> argv;  // argv[0] is a path, or a name looked up in PATH; never a shell
  std::map<std::string, std::string> env;
  bool inheritEnvironment = true;  // start from the manager's environment, then apply `env`
  std::string workingDir;          // empty: the manager's
  InstanceIdentity identity;
  std::string roleFile;            // empty: <log.dir>/<instanceId>.role.json
  std::vector<std::string> ports;  // names; each gets SM_PORT_<NAME>, kept while the instance lives
  RestartSpec restart;
  StopSpec stop;
  RoleNoticeSpec roleNotice;
  HealthSpec health;
  LogSpec log;
};

}  // namespace sm::supervisor

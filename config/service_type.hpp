#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sm::config {

// The declared shape of a service type (the `spec:` of a YAML document). Every member carries its
// default, so a default-constructed spec (plus a command) is what an operator gets by omitting
// fields. Defaults are documented in docs/configuration.md; keep both in step.

enum class RestartPolicy { Always, OnFailure, Never };

struct CrashLoop {
  std::int64_t failures = 5;        // this many exits within windowSeconds ...
  std::int64_t windowSeconds = 60;  // ... mark the instance crash-looping (backoff stays at max)
  bool operator==(const CrashLoop&) const = default;
};

struct Restart {
  RestartPolicy policy = RestartPolicy::Always;
  std::int64_t backoffInitialMs = 100;
  std::int64_t backoffMaxMs = 30000;
  CrashLoop crashLoop;
  bool operator==(const Restart&) const = default;
};

struct Stop {
  std::string signal = "SIGTERM";  // canonical "SIG..." name: names, unlike numbers, are portable
  std::int64_t timeoutMs = 5000;   // then SIGKILL
  bool operator==(const Stop&) const = default;
};

// How a process learns that its role (master/secondary) changed, beyond the role file that is
// always written. At most one of the two is set; neither means "read the role file".
struct RoleChange {
  std::string signal;             // canonical "SIG..." name, or empty
  std::vector<std::string> exec;  // argv of a hook, or empty
  bool operator==(const RoleChange&) const = default;
};

struct Health {
  std::vector<std::string> exec;  // argv of a check that exits 0 when healthy ...
  std::string tcpPort;            // ... or the name of a declared port that must accept connections
  std::int64_t intervalMs = 1000;
  std::int64_t timeoutMs = 500;
  std::int64_t failureThreshold = 3;  // consecutive failures before the instance is restarted
  // With tcp: sent once connected, and the start of the answer expected within timeoutMs. A plain
  // connect cannot tell a hung process from a live one: the kernel accepts connections for it
  // until its listen backlog is full.
  std::string tcpSend;
  std::string tcpExpect;
  bool operator==(const Health&) const = default;
};

// Promotion by freshness (docs/configuration.md, "spec.promotion"): at a failover the next in line
// asks every live secondary for a score (a hook that prints an integer, higher = fresher) and
// hands its turn to a strictly fresher one; a candidate too far below the best score seen is not
// promoted at all. Unset: the chain order alone decides, as fast as without it.
struct Promotion {
  std::vector<std::string> scoreExec;  // argv of the score hook, run in the instance's environment
  std::int64_t scoreTimeoutMs = 500;   // a hook still running then is killed: no score
  std::int64_t waitMs = 300;           // how long a takeover waits for the others' scores
  std::optional<std::int64_t> maxLag;  // unset: no candidate is refused for its lag
  std::int64_t refreshMs = 10000;      // scores are also taken this often, for describe and maxLag
  bool operator==(const Promotion&) const = default;
};

struct Constraints {
  std::vector<std::string> allowHosts;            // globs over host ids; empty = every host
  std::vector<std::string> denyHosts;             // globs; a match excludes the host
  std::map<std::string, std::string> hostLabels;  // every label must equal the host's
  std::optional<std::int64_t> maxPerHost;  // replicas of one logical service per host; unset = none
  std::int64_t minFreeMemoryMB = 0;        // 0 = no requirement
  std::optional<double> maxLoadAverage;    // unset = no limit
  std::vector<std::string> dependsOn;      // types that must have a master first
  // Master eligibility (Patroni's nofailover): instances on other hosts run as secondaries that
  // never stand in the election. Empty = every host may run the master.
  std::vector<std::string> masterHosts;             // globs over host ids
  std::map<std::string, std::string> masterLabels;  // every label must equal the host's
  bool operator==(const Constraints&) const = default;
};

struct ServiceSpec {
  std::int64_t serviceCount = 1;      // logical services
  std::int64_t replicationCount = 1;  // physical instances per logical service
  std::vector<std::string> command;   // argv, never a shell string; required, non-empty
  std::map<std::string, std::string> env;
  std::string workingDir;  // empty = the manager's default
  Constraints constraints;
  Restart restart;
  Stop stop;
  RoleChange roleChange;
  std::vector<std::string> ports;  // names; the manager exports SM_PORT_<UPPER>
  std::optional<Health> health;    // unset = no health check
  std::optional<Promotion> promotion;  // unset = the failover chain's order alone decides
  // Persistent instances keep their identity (uuid) and data directory across restarts and stay
  // on the host that holds their data (docs/configuration.md, "Persistent services").
  bool persistent = false;
  // How long a persistent instance's host may be gone before the replica is re-created elsewhere
  // as a new identity. Only for persistent types.
  std::int64_t hostLossGraceSeconds = 300;
  bool operator==(const ServiceSpec&) const = default;
};

// Equality is exact, list order included: it decides whether a stored spec changed (generation).
struct ServiceType {
  std::string name;
  ServiceSpec spec;
  bool operator==(const ServiceType&) const = default;
};

// True when two specs would run the same process (command, env, workingDir, ports, stop,
// roleChange, health): the daemon restarts instances only when this is false, not on a mere scale
// or constraint change.
bool sameProcessTemplate(const ServiceSpec& a, const ServiceSpec& b);

// "always" | "on-failure" | "never", as written in YAML and JSON.
std::string_view restartPolicyName(RestartPolicy policy);
std::optional<RestartPolicy> parseRestartPolicy(std::string_view name);

}  // namespace sm::config

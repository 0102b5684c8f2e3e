#pragma once
// Whether a service type is ready — serviceCount logical services, each with replicationCount
// registered instances running the current generation and a running master — and, when it is not,
// what is missing. Pure: `wait --ready` and `apply --wait` judge the views the reader gives them.
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "manager/model/cluster_snapshot.hpp"

namespace sm::ctl {

struct MasterEndpoint {
  std::string host;                           // host id
  std::optional<std::string> address;         // the host's address (servicesmgr --address)
  std::int64_t pid = 0;
  std::optional<std::int64_t> epoch;          // the master's election sequence
  std::vector<std::pair<std::string, std::int64_t>> ports;  // by name
};

struct LogicalReadiness {
  std::string name;             // logicalService<10 digits>
  std::int64_t wanted = 0;      // replicationCount
  std::int64_t running = 0;     // registered, state running, current generation
  std::int64_t stale = 0;       // running an older generation
  std::int64_t notRunning = 0;  // starting or stopping (or data that cannot be read)
  std::optional<MasterEndpoint> master;  // only a running master counts
  bool ready() const;
};

struct TypeReadiness {
  std::string type;
  bool exists = false;
  std::string problem;               // config/<type> cannot be read
  std::int64_t wantedServices = 0;   // serviceCount
  std::int64_t replicas = 0;         // replicationCount
  std::vector<LogicalReadiness> logical;

  bool ready() const;
  std::int64_t readyServices() const;
  std::int64_t runningInstances() const;  // over the logical services counted toward serviceCount
  std::int64_t wantedInstances() const { return wantedServices * replicas; }
};

TypeReadiness assessType(const model::ClusterSnapshot& snapshot, const std::string& type);

// "demo: 2/3 logical services ready, 7/9 instances running"
std::string progressLine(const TypeReadiness& readiness);
// One line per thing still missing, naming the logical service; empty when ready.
std::vector<std::string> missingLines(const TypeReadiness& readiness);
// One line per logical service with a master:
// "demo/logicalService0000000000 master h2 pid 4242 epoch 7 http=40123" (ports prefixed with the
// host's address when it has one).
std::vector<std::string> endpointLines(const TypeReadiness& readiness);

// "90", "90s", "500ms", "2m", "1h", "1.5s" -> milliseconds; nullopt when it is not a duration.
std::optional<std::int64_t> parseDurationMs(const std::string& text);

}  // namespace sm::ctl

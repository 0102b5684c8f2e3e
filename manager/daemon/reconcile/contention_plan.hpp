#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "manager/model/cluster_snapshot.hpp"

namespace sm::daemon {

// A create-lock this host may contend for: its logical service is short of replicas and this host
// passes every constraint of the type. `rank` is this host's place among the feasible hosts (0 =
// best): the best contends at once, the others only after a delay that grows with their rank, so
// the least-loaded host usually wins and the others never queue (no churn, no herd) — but a best
// host that is dead or stuck only delays placement, never blocks it.
struct Contention {
  config::LogicalServiceId logical;
  std::size_t rank = 0;
  double score = 0;  // published in the contender's node, for observers
  // How long after first seeing the lock this host may queue: kRankDelay per rank, kTurnDelay per
  // instance of the type it runs beyond the feasible host with the fewest (so that hosts take
  // turns while a cluster converges), and kDoubleUpDelay per replica of this logical service it
  // has beyond that host — a second replica on one host waits until the others had ample time.
  std::chrono::milliseconds delay{0};
};

inline constexpr std::chrono::milliseconds kRankDelay{300};
inline constexpr std::chrono::milliseconds kTurnDelay{300};
inline constexpr std::chrono::milliseconds kDoubleUpDelay{3000};

std::vector<Contention> planContention(const model::ClusterSnapshot& snapshot, const std::string& hostId,
                                       std::int64_t nowMs);

}  // namespace sm::daemon

#pragma once

// Nomad-style placement, pure: a chain of feasibility checks, then a ranking of the hosts that
// pass. The holder of a createPhysicalService lock runs checkHost on its own host; every contender
// publishes score().value() so that the best host tends to win the lock.

#include <compare>
#include <initializer_list>
#include <string_view>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/status_data.hpp"
#include "manager/daemon/placement/constraint.hpp"

namespace sm::daemon::placement {

// The chain for a spec, in a fixed order: hostData, cooldown, allowHosts, denyHosts, hostLabels,
// maxPerHost, minFreeMemoryMB, maxLoadAverage, dependsOn. Only constraints that apply are included.
// Cheap, host-local rules come first so that the reason shown is the most specific one.
std::vector<std::unique_ptr<Constraint>> constraintChain(const config::ServiceSpec& spec);

struct Infeasible {
  std::string constraint;  // Constraint::name()
  std::string reason;
  bool operator==(const Infeasible&) const = default;
};

// First failing constraint of the request type's chain, or nullopt when `host` is feasible.
std::optional<Infeasible> checkHost(const PlacementRequest& request, const model::HostView& host);

// The same, without the constraints that look beyond the host (Constraint::clusterWide): what a
// named candidate checks again before it starts anything, from what it reads of the tree.
std::optional<Infeasible> checkHostLocally(const PlacementRequest& request,
                                           const model::HostView& host);

// For status: every host of the snapshot that fails, with its reason, sorted by host id.
std::vector<config::HostReason> infeasibleHosts(const PlacementRequest& request);

// Ranking key, lower is better, compared member by member: replicas of the same logical service
// are spread first (failover needs other hosts), then the type, then the host's whole load. Hosts
// alike in all of that are ordered by a hash of the logical service and the host, the same on every
// manager, so that different logical services prefer different hosts and their placements run in
// parallel instead of queueing behind one host.
struct Score {
  std::int64_t logicalInstances = 0;  // of request.logical on the host
  std::int64_t typeInstances = 0;     // of request.type on the host
  std::int64_t running = 0;           // HostData::running
  // Whole CPUs' worth of load average (load / cpus, rounded down): small differences between
  // hosts measured at different moments must not decide; +inf when unknown.
  double load = 0;
  std::uint64_t tiebreak = 0;  // hash of (type, logical service, host)
  std::string host;            // last, so that the order is total and deterministic

  auto operator<=>(const Score&) const = default;
  // One number for the lock contender's data, lower better; orders like operator<=> except for
  // ties on every component but the tiebreak and host id (and counts beyond the packed ranges).
  double value() const;
};

Score score(const PlacementRequest& request, const model::HostView& host);

// FNV-1a over the parts: the same on every manager and every build, unlike std::hash.
std::uint64_t stableHash(std::initializer_list<std::string_view> parts);

// Feasible hosts, best first.
std::vector<std::string> rankFeasibleHosts(const PlacementRequest& request);

}  // namespace sm::daemon::placement

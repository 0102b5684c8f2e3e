#pragma once

#include <cstddef>
#include <string>

#include "manager/model/cluster_snapshot.hpp"

namespace sm::daemon {

// Flat placement: a type's config monitor lock is queued for by kMonitorContenders hosts, not by
// every manager (whose queue would grow, and be read, with the cluster). They are the first
// registered hosts by a hash of (type, host) — rendezvous hashing: every manager computes the same
// from the host listing, types spread over the hosts, and when a contender goes the next host in
// that order joins. A manager already queued stays; one whose host is not listed yet contends (it
// cannot tell, and one more contender costs nothing but a place in the queue).
inline constexpr std::size_t kMonitorContenders = 3;

bool contendsForMonitor(const model::ClusterSnapshot& snapshot, const std::string& type,
                        const std::string& hostId);

}  // namespace sm::daemon

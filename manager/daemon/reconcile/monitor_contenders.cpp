#include "manager/daemon/reconcile/monitor_contenders.hpp"

#include <algorithm>
#include <vector>

#include "manager/daemon/placement/placement.hpp"

namespace sm::daemon {

bool contendsForMonitor(const model::ClusterSnapshot& snapshot, const std::string& type,
                        const std::string& hostId) {
  if (!snapshot.hosts.contains(hostId)) return true;
  const auto own = placement::stableHash({type, hostId});
  // Hosts ahead of this one in the type's order (ties by id, so the order is total).
  std::size_t ahead = 0;
  for (const auto& [id, host] : snapshot.hosts) {
    const auto other = placement::stableHash({type, id});
    if (other < own || (other == own && id < hostId)) ++ahead;
  }
  return ahead < kMonitorContenders;
}

}  // namespace sm::daemon

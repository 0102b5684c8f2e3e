#pragma once

#include <string>
#include <vector>

#include "manager/daemon/model/cluster_snapshot.hpp"

namespace sm::daemon {

// The peers of a logical service, as each of its instances gets them (role file and peers file):
// "address:port" of every registered instance that runs (state running), its host's address (the
// host id when the host does not say) and the type's first port (no ":port" for a type without
// ports), sorted. Empty when the type or logical service cannot be read.
std::vector<std::string> peerEndpoints(const ClusterSnapshot& snapshot,
                                       const config::LogicalServiceId& id);

}  // namespace sm::daemon

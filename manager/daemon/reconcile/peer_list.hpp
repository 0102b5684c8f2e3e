#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "manager/model/cluster_snapshot.hpp"

namespace sm::daemon {

// The peers of a logical service, as each of its instances gets them (role file and peers file):
// "address:port" of every registered instance that runs (state running), its host's address (the
// host id when the host does not say) and the type's first port (no ":port" for a type without
// ports), sorted. Empty when the type or logical service cannot be read.
std::vector<std::string> peerEndpoints(const model::ClusterSnapshot& snapshot,
                                       const config::LogicalServiceId& id);

// Where the services of `hostId` are reached: the "address" of its hosts/<id>, the host id when
// the host does not say (or is not in the snapshot).
std::string hostAddress(const model::ClusterSnapshot& snapshot, const std::string& hostId);
// Where one physical service is reached: the address it registered with (a daemon reads only its
// own host's node), else its host's (hostAddress).
std::string serviceAddress(const model::ClusterSnapshot& snapshot,
                           const config::PhysicalServiceData& data);

// Every named port at `address`: port name -> "address:port" (a role file's masterPeer
// "endpoints"), so that a replica connects to its master without a lookup of its own.
std::map<std::string, std::string> endpointsAt(const std::string& address,
                                               const std::map<std::string, std::int64_t>& ports);

}  // namespace sm::daemon

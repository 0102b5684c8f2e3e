#include "manager/daemon/reconcile/peer_list.hpp"

#include <algorithm>

namespace sm::daemon {

std::vector<std::string> peerEndpoints(const ClusterSnapshot& snapshot,
                                       const config::LogicalServiceId& id) {
  std::vector<std::string> peers;
  const auto* type = snapshot.type(id.type);
  const auto* logical = snapshot.logical(id);
  if (!type || !type->stored || !logical) return peers;
  const auto& ports = type->stored->type.spec.ports;
  for (const auto& [uuid, physical] : logical->physical) {
    if (!physical.data || physical.data->state != config::PhysicalState::Running) continue;
    std::string address = physical.data->host;
    if (auto host = snapshot.hosts.find(physical.data->host);
        host != snapshot.hosts.end() && host->second.data && !host->second.data->address.empty()) {
      address = host->second.data->address;
    }
    if (!ports.empty()) {
      auto port = physical.data->ports.find(ports.front());
      if (port == physical.data->ports.end()) continue;  // not reachable the way peers expect
      address += ":" + std::to_string(port->second);
    }
    peers.push_back(std::move(address));
  }
  std::sort(peers.begin(), peers.end());
  return peers;
}

}  // namespace sm::daemon

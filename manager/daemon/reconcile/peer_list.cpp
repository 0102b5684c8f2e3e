#include "manager/daemon/reconcile/peer_list.hpp"

#include <algorithm>

namespace sm::daemon {

std::vector<std::string> peerEndpoints(const model::ClusterSnapshot& snapshot,
                                       const config::LogicalServiceId& id) {
  std::vector<std::string> peers;
  const auto* type = snapshot.type(id.type);
  const auto* logical = snapshot.logical(id);
  if (!type || !type->stored || !logical) return peers;
  const auto& ports = type->stored->type.spec.ports;
  for (const auto& [uuid, physical] : logical->physical) {
    if (!physical.data || physical.data->state != config::PhysicalState::Running) continue;
    std::string address = serviceAddress(snapshot, *physical.data);
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

std::string hostAddress(const model::ClusterSnapshot& snapshot, const std::string& hostId) {
  if (auto host = snapshot.hosts.find(hostId);
      host != snapshot.hosts.end() && host->second.data && !host->second.data->address.empty()) {
    return host->second.data->address;
  }
  return hostId;
}

std::string serviceAddress(const model::ClusterSnapshot& snapshot,
                           const config::PhysicalServiceData& data) {
  return data.address.empty() ? hostAddress(snapshot, data.host) : data.address;
}

std::map<std::string, std::string> endpointsAt(const std::string& address,
                                               const std::map<std::string, std::int64_t>& ports) {
  std::map<std::string, std::string> endpoints;
  for (const auto& [name, port] : ports) endpoints[name] = address + ":" + std::to_string(port);
  return endpoints;
}

}  // namespace sm::daemon

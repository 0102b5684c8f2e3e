#include "manager/daemon/reconcile/logical_services.hpp"

#include <algorithm>

namespace sm::daemon {

bool isWanted(const model::ServiceTypeView& type, std::int64_t sequence) {
  if (!type.stored) return true;  // an unreadable type is left alone, never scaled down
  if (type.listed) {
    const auto it = std::lower_bound(type.sequences.begin(), type.sequences.end(), sequence);
    if (it == type.sequences.end() || *it != sequence) return false;
    return it - type.sequences.begin() < type.stored->type.spec.serviceCount;
  }
  if (type.wantedWhateverListed(sequence)) return true;
  std::int64_t rank = 0;
  for (const auto& [seq, logical] : type.logical) {
    if (seq == sequence) return rank < type.stored->type.spec.serviceCount;
    ++rank;
  }
  return false;
}

std::vector<std::string> failoverOrder(const model::LogicalServiceView& logical) {
  std::vector<std::string> order;
  for (const auto& member : logical.election) {
    if (!member.data) continue;
    const auto& uuid = member.data->physical;
    if (logical.physical.contains(uuid) &&
        std::find(order.begin(), order.end(), uuid) == order.end()) {
      order.push_back(uuid);
    }
  }
  for (const auto& [uuid, physical] : logical.physical) {
    if (std::find(order.begin(), order.end(), uuid) == order.end()) order.push_back(uuid);
  }
  return order;
}

bool isOutdated(const model::PhysicalServiceView& physical, std::int64_t storedGeneration) {
  return physical.data && physical.data->generation < storedGeneration;
}

std::optional<std::string> nextToReplace(const model::LogicalServiceView& logical,
                                         const config::StoredServiceType& type) {
  const auto order = failoverOrder(logical);
  if (static_cast<std::int64_t>(order.size()) != type.type.spec.replicationCount) return {};
  for (const auto& uuid : order) {
    const auto& data = logical.physical.at(uuid).data;
    if (!data || data->state != config::PhysicalState::Running) return {};
  }
  // From the back of the chain: secondaries first. The master is reached only when every
  // secondary already runs the new generation, so one of them takes over from it.
  for (auto it = order.rbegin(); it != order.rend(); ++it) {
    if (isOutdated(logical.physical.at(*it), type.templateFrom())) return *it;
  }
  return {};
}

}  // namespace sm::daemon

#include "manager/daemon/placement/host_labels_constraint.hpp"

#include <utility>

#include "manager/daemon/placement/host_data_constraint.hpp"

namespace sm::daemon::placement {

HostLabelsConstraint::HostLabelsConstraint(std::map<std::string, std::string> labels)
    : labels_(std::move(labels)) {}

std::optional<std::string> HostLabelsConstraint::check(const PlacementRequest&,
                                                       const model::HostView& host) const {
  if (!host.data) return unreadableHostReason(host);
  for (const auto& [key, value] : labels_) {
    const std::string wanted = "hostLabels " + key + "=\"" + value + "\"";
    auto it = host.data->labels.find(key);
    if (it == host.data->labels.end()) return wanted + " but host has no label " + key;
    if (it->second != value) {
      return wanted + " but host has " + key + "=\"" + it->second + "\"";
    }
  }
  return std::nullopt;
}

}  // namespace sm::daemon::placement

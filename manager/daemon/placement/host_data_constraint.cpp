#include "manager/daemon/placement/host_data_constraint.hpp"

namespace sm::daemon::placement {

std::string unreadableHostReason(const model::HostView& host) {
  return "host data of \"" + host.id + "\" is unreadable";
}

std::optional<std::string> HostDataConstraint::check(const PlacementRequest&,
                                                     const model::HostView& host) const {
  if (host.data) return std::nullopt;
  return unreadableHostReason(host);
}

}  // namespace sm::daemon::placement

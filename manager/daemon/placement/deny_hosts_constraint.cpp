#include "manager/daemon/placement/deny_hosts_constraint.hpp"

#include <utility>

#include "config/glob.hpp"

namespace sm::daemon::placement {

DenyHostsConstraint::DenyHostsConstraint(std::vector<std::string> patterns)
    : patterns_(std::move(patterns)) {}

std::optional<std::string> DenyHostsConstraint::check(const PlacementRequest&,
                                                      const model::HostView& host) const {
  for (const std::string& pattern : patterns_) {
    if (config::globMatch(pattern, host.id)) {
      return "denyHosts matches \"" + host.id + "\" (pattern \"" + pattern + "\")";
    }
  }
  return std::nullopt;
}

}  // namespace sm::daemon::placement

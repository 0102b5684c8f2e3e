#include "manager/daemon/placement/allow_hosts_constraint.hpp"

#include <utility>

#include "config/glob.hpp"

namespace sm::daemon::placement {

AllowHostsConstraint::AllowHostsConstraint(std::vector<std::string> patterns)
    : patterns_(std::move(patterns)) {}

std::optional<std::string> AllowHostsConstraint::check(const PlacementRequest&,
                                                       const model::HostView& host) const {
  // An empty list means "no restriction", not "no host": the spec's default must place anywhere.
  if (patterns_.empty()) return std::nullopt;
  std::string listed;
  for (const std::string& pattern : patterns_) {
    if (config::globMatch(pattern, host.id)) return std::nullopt;
    listed += (listed.empty() ? "\"" : ", \"") + pattern + "\"";
  }
  return "allowHosts does not match \"" + host.id + "\" (patterns " + listed + ")";
}

}  // namespace sm::daemon::placement

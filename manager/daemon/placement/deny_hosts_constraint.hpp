#pragma once

#include <vector>

#include "manager/daemon/placement/constraint.hpp"

namespace sm::daemon::placement {

// constraints.denyHosts: a host id matching any glob is excluded.
class DenyHostsConstraint final : public Constraint {
 public:
  explicit DenyHostsConstraint(std::vector<std::string> patterns);
  std::string_view name() const override { return "denyHosts"; }
  std::optional<std::string> check(const PlacementRequest& request,
                                   const model::HostView& host) const override;

 private:
  std::vector<std::string> patterns_;
};

}  // namespace sm::daemon::placement

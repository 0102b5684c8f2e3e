#pragma once

#include <vector>

#include "manager/daemon/placement/constraint.hpp"

namespace sm::daemon::placement {

// constraints.allowHosts: the host id must match at least one glob.
class AllowHostsConstraint final : public Constraint {
 public:
  explicit AllowHostsConstraint(std::vector<std::string> patterns);
  std::string_view name() const override { return "allowHosts"; }
  std::optional<std::string> check(const PlacementRequest& request,
                                   const model::HostView& host) const override;

 private:
  std::vector<std::string> patterns_;
};

}  // namespace sm::daemon::placement

#pragma once

#include <vector>

#include "manager/daemon/placement/constraint.hpp"

namespace sm::daemon::placement {

// constraints.dependsOn: every named type is up (each of its logical services has a master) before
// this type runs anywhere. Host-independent, so it fails for every host alike.
class DependsOnConstraint final : public Constraint {
 public:
  explicit DependsOnConstraint(std::vector<std::string> types);
  std::string_view name() const override { return "dependsOn"; }
  std::optional<std::string> check(const PlacementRequest& request,
                                   const model::HostView& host) const override;
  bool clusterWide() const override { return true; }

 private:
  std::vector<std::string> types_;
};

}  // namespace sm::daemon::placement

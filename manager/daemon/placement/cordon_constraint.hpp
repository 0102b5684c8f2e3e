#pragma once

#include "manager/daemon/placement/constraint.hpp"

namespace sm::daemon::placement {

// A host an operator cordoned (servicesctl cordon, cordons/<hostId>) takes no new instance of any
// type; what already runs there is left alone.
class CordonConstraint final : public Constraint {
 public:
  std::string_view name() const override { return "cordon"; }
  std::optional<std::string> check(const PlacementRequest& request,
                                   const model::HostView& host) const override;
};

}  // namespace sm::daemon::placement

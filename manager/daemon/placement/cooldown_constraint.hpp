#pragma once

#include "manager/daemon/placement/constraint.hpp"

namespace sm::daemon::placement {

// A host where instances of the type crash-looped refuses the type until its cooldown ends, so the
// replica is tried elsewhere instead of crash-looping on the same host again.
class CooldownConstraint final : public Constraint {
 public:
  std::string_view name() const override { return "cooldown"; }
  std::optional<std::string> check(const PlacementRequest& request,
                                   const model::HostView& host) const override;
};

}  // namespace sm::daemon::placement

#pragma once

#include "manager/daemon/placement/constraint.hpp"

namespace sm::daemon::placement {

// A host whose node could not be decoded cannot be judged by any other rule, so it is never picked.
class HostDataConstraint final : public Constraint {
 public:
  std::string_view name() const override { return "hostData"; }
  std::optional<std::string> check(const PlacementRequest& request,
                                   const model::HostView& host) const override;
};

// The reason every constraint that needs HostData gives when it is missing, so that each one is
// safe on its own and not only behind HostDataConstraint.
std::string unreadableHostReason(const model::HostView& host);

}  // namespace sm::daemon::placement

#pragma once

#include "manager/daemon/placement/constraint.hpp"

namespace sm::daemon::placement {

// constraints.maxLoadAverage: the host's reported 1-minute load is at most the limit.
class MaxLoadAverageConstraint final : public Constraint {
 public:
  explicit MaxLoadAverageConstraint(double limit) : limit_(limit) {}
  std::string_view name() const override { return "maxLoadAverage"; }
  std::optional<std::string> check(const PlacementRequest& request,
                                   const model::HostView& host) const override;

 private:
  double limit_;
};

}  // namespace sm::daemon::placement

#pragma once

#include <map>

#include "manager/daemon/placement/constraint.hpp"

namespace sm::daemon::placement {

// constraints.hostLabels: every label must be present on the host with exactly that value.
class HostLabelsConstraint final : public Constraint {
 public:
  explicit HostLabelsConstraint(std::map<std::string, std::string> labels);
  std::string_view name() const override { return "hostLabels"; }
  std::optional<std::string> check(const PlacementRequest& request,
                                   const model::HostView& host) const override;

 private:
  std::map<std::string, std::string> labels_;
};

}  // namespace sm::daemon::placement

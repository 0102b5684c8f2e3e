#pragma once

#include <cstdint>

#include "manager/daemon/placement/constraint.hpp"

namespace sm::daemon::placement {

// constraints.maxPerHost: registered instances of the type on the host stay below the limit.
class MaxPerHostConstraint final : public Constraint {
 public:
  explicit MaxPerHostConstraint(std::int64_t limit) : limit_(limit) {}
  std::string_view name() const override { return "maxPerHost"; }
  std::optional<std::string> check(const PlacementRequest& request,
                                   const model::HostView& host) const override;

 private:
  std::int64_t limit_;
};

}  // namespace sm::daemon::placement

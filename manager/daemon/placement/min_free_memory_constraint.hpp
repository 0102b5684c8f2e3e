#pragma once

#include <cstdint>

#include "manager/daemon/placement/constraint.hpp"

namespace sm::daemon::placement {

// constraints.minFreeMemoryMB: the host reported at least this much free memory.
class MinFreeMemoryConstraint final : public Constraint {
 public:
  explicit MinFreeMemoryConstraint(std::int64_t minFreeMB) : minFreeMB_(minFreeMB) {}
  std::string_view name() const override { return "minFreeMemoryMB"; }
  std::optional<std::string> check(const PlacementRequest& request,
                                   const model::HostView& host) const override;

 private:
  std::int64_t minFreeMB_;
};

}  // namespace sm::daemon::placement

#include "manager/daemon/placement/min_free_memory_constraint.hpp"

#include <fmt/format.h>

#include "manager/daemon/placement/host_data_constraint.hpp"

namespace sm::daemon::placement {

std::optional<std::string> MinFreeMemoryConstraint::check(const PlacementRequest&,
                                                          const model::HostView& host) const {
  if (!host.data) return unreadableHostReason(host);
  const std::int64_t freeMB = host.data->capacity.freeMemoryMB;
  if (freeMB >= minFreeMB_) return std::nullopt;
  return fmt::format("free memory {} MB < minFreeMemoryMB {}", freeMB, minFreeMB_);
}

}  // namespace sm::daemon::placement

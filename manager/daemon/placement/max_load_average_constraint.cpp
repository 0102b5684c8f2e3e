#include "manager/daemon/placement/max_load_average_constraint.hpp"

#include <fmt/format.h>

#include "manager/daemon/placement/host_data_constraint.hpp"

namespace sm::daemon::placement {

std::optional<std::string> MaxLoadAverageConstraint::check(const PlacementRequest&,
                                                           const model::HostView& host) const {
  if (!host.data) return unreadableHostReason(host);
  const double load = host.data->load;
  if (load <= limit_) return std::nullopt;  // also refuses a NaN load: it proves nothing
  return fmt::format("load {} > maxLoadAverage {}", load, limit_);
}

}  // namespace sm::daemon::placement

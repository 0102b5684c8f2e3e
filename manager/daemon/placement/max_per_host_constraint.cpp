#include "manager/daemon/placement/max_per_host_constraint.hpp"

#include <fmt/format.h>

namespace sm::daemon::placement {

std::optional<std::string> MaxPerHostConstraint::check(const PlacementRequest& request,
                                                       const model::HostView& host) const {
  // Per logical service: replicas of one logical service spread over hosts, while the type's
  // logical services may share a host (bigdata's "one DataServer replica per host").
  const std::int64_t running = request.snapshot.instancesOnHost(request.logical, host.id);
  if (running < limit_) return std::nullopt;
  return fmt::format("maxPerHost {} reached ({} of this logical service running)", limit_, running);
}

}  // namespace sm::daemon::placement

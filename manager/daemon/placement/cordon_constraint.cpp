#include "manager/daemon/placement/cordon_constraint.hpp"

namespace sm::daemon::placement {

std::optional<std::string> CordonConstraint::check(const PlacementRequest& request,
                                                   const model::HostView& host) const {
  const auto cordon = request.snapshot.cordons.find(host.id);
  if (cordon == request.snapshot.cordons.end()) return std::nullopt;
  // No time in it: the status that shows it is written again only when it says something new.
  const auto& data = cordon->second.data;
  return data && !data->reason.empty() ? "cordoned: " + data->reason : std::string("cordoned");
}

}  // namespace sm::daemon::placement

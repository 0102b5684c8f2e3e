#include "manager/daemon/placement/cooldown_constraint.hpp"

#include <fmt/format.h>

#include "manager/daemon/placement/host_data_constraint.hpp"

namespace sm::daemon::placement {

std::optional<std::string> CooldownConstraint::check(const PlacementRequest& request,
                                                     const model::HostView& host) const {
  if (!host.data) return unreadableHostReason(host);
  const std::string& typeName = request.type.type.name;
  // With several entries for the type, the latest end is the one that still binds.
  const config::HostCooldown* binding = nullptr;
  for (const config::HostCooldown& cooldown : host.data->cooldowns) {
    if (cooldown.type != typeName || cooldown.until <= request.nowMs) continue;
    if (binding == nullptr || cooldown.until > binding->until) binding = &cooldown;
  }
  if (binding == nullptr) return std::nullopt;
  const std::int64_t secondsLeft = (binding->until - request.nowMs + 999) / 1000;
  std::string reason = fmt::format("cooldown for type \"{}\" ({} s left)", typeName, secondsLeft);
  if (!binding->reason.empty()) reason += ": " + binding->reason;
  return reason;
}

}  // namespace sm::daemon::placement

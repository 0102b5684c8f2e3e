#include "manager/daemon/placement/depends_on_constraint.hpp"

#include <utility>

namespace sm::daemon::placement {

DependsOnConstraint::DependsOnConstraint(std::vector<std::string> types)
    : types_(std::move(types)) {}

std::optional<std::string> DependsOnConstraint::check(const PlacementRequest& request,
                                                      const model::HostView&) const {
  const model::ClusterSnapshot& snapshot = request.snapshot;
  for (const std::string& name : types_) {
    if (snapshot.hasMaster(name)) continue;
    const std::string prefix = "dependsOn: type \"" + name + "\" ";
    // hasMaster says only no; the operator needs to know which step is missing.
    const model::ServiceTypeView* view = snapshot.type(name);
    if (view == nullptr) return prefix + "does not exist";
    if (!view->stored) return prefix + "is unreadable";
    if (view->logical.empty()) return prefix + "has no logical service";
    return prefix + "has no master";
  }
  return std::nullopt;
}

}  // namespace sm::daemon::placement

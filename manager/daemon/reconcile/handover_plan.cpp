#include "manager/daemon/reconcile/handover_plan.hpp"

#include <fmt/format.h>

namespace sm::daemon {

namespace {
bool onHost(const model::ElectionMember& member, const std::string& hostId) {
  return member.data && member.data->host == hostId;
}
}  // namespace

std::vector<Requeue> requeuesToward(const model::LogicalServiceView& logical, std::size_t targetIndex,
                                    const std::string& hostId, const std::string& reason) {
  std::vector<Requeue> out;
  const auto& chain = logical.election;
  if (targetIndex == 0 || targetIndex >= chain.size()) return out;
  for (std::size_t i = 1; i < targetIndex; ++i) {
    if (onHost(chain[i], hostId)) {
      out.push_back({logical.id, chain[i].data->physical, chain[i].name, false, reason});
    }
  }
  // The master goes last, when nothing stands between it and the target: its successor is then
  // the target, whatever else happens to the chain meanwhile.
  if (targetIndex == 1 && onHost(chain[0], hostId)) {
    out.push_back({logical.id, chain[0].data->physical, chain[0].name, true, reason});
  }
  return out;
}

SwitchoverPlan planSwitchovers(const model::ClusterSnapshot& snapshot, const std::string& hostId,
                               std::int64_t nowMs) {
  SwitchoverPlan plan;
  for (const auto& [id, request] : snapshot.switchovers) {
    if (!request.data) continue;
    const auto* logical = snapshot.logical(id);
    if (!logical || logical->election.empty()) continue;  // left to its deadline
    const auto& chain = logical->election;
    const auto& target = request.data->target;
    if (nowMs > request.data->deadline) {
      if (onHost(chain.front(), hostId)) plan.ends.push_back({id, request.version, false});
      continue;
    }
    std::optional<std::size_t> targetIndex;
    for (std::size_t i = 0; i < chain.size(); ++i) {
      if (chain[i].data && chain[i].data->physical == target) targetIndex = i;
    }
    if (!targetIndex) continue;  // not standing (yet): the deadline ends the request
    if (*targetIndex == 0) {
      // A promotion type's first member may still decide (promotion_plan.hpp): the request is
      // done once it was told master.
      const auto* type = snapshot.type(id.type);
      const bool promotes = type && type->stored && type->stored->type.spec.promotion;
      const bool master = !promotes || chain.front().data->master;
      if (master && onHost(chain.front(), hostId)) {
        plan.ends.push_back({id, request.version, true});
      }
      continue;
    }
    for (auto& requeue : requeuesToward(*logical, *targetIndex, hostId,
                                        fmt::format("switchover to {}", target))) {
      plan.requeues.push_back(std::move(requeue));
    }
  }
  return plan;
}

}  // namespace sm::daemon

#pragma once
#include <cstdint>
#include <optional>
#include <string>

#include "manager/model/cluster_snapshot.hpp"

namespace sm::ctl {

// The logical service a command names: LOGICAL as its sequence ("3", "0000000003" or
// "logicalService0000000003"), or, when omitted, the type's only one. Throws CliError (usage, exit
// 2) naming the choices otherwise.
const model::LogicalServiceView& pickLogical(const model::ServiceTypeView& type,
                                             const std::optional<std::string>& logical);

// What `servicesctl switchover` asks of the managers, or why it refuses (nothing is written then).
struct SwitchoverChoice {
  const model::PhysicalServiceView* master = nullptr;
  const model::PhysicalServiceView* target = nullptr;
  std::string refusal;  // empty when the switchover may go ahead
};

// The target is `to` (a uuid, or a host running exactly one instance of the logical service) or,
// by default, the next in the failover chain. It must stand in the election (registered, eligible
// as master), run healthy (state running), and not be on a draining host; the logical service
// must have a master and no switchover in progress (one past its deadline does not count).
// `force` (spec.promotion): a logical service whose candidate is held by maxLag has no master;
// forced, the candidate stands for it, and may itself be the target (it is then promoted).
SwitchoverChoice chooseSwitchover(const model::ClusterSnapshot& snapshot,
                                  const model::ServiceTypeView& type,
                                  const model::LogicalServiceView& logical,
                                  const std::optional<std::string>& to, std::int64_t nowMs,
                                  bool force = false);

// "3f2a... on h2".
std::string describeInstance(const model::PhysicalServiceView& instance);

}  // namespace sm::ctl

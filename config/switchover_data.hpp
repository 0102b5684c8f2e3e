#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "config/result.hpp"

namespace sm::config {

// Data of switchovers/<type>_logicalService<seq> (servicesctl switchover): a planned handover of
// one logical service's master to `target`. The managers reorder the failover chain through the
// election: members ahead of the target (but the master) queue again at the end, then the master
// is told `unknown` and queues again at the end, which makes the target master. Removed once the
// target is first; ignored after `deadline` (and removed by the next switchover of the service).
// {"format":1,"target":"<uuid>","from":"<uuid>","created":<ms>,"deadline":<ms>[,"force":true]
// [,"reason":"..."]}. The target of a request is told master as soon as it is first, without a
// promotion round (spec.promotion): the request was the decision. `force` (servicesctl switchover
// --force) also promotes a target that maxLag holds back; `reason` says who asked (a promotion's
// handover to a fresher secondary says so).
struct SwitchoverData {
  std::string target;   // the physical service that becomes master
  std::string from;     // the master when it was asked (for messages: the chain decides)
  std::int64_t created = 0;
  std::int64_t deadline = 0;
  bool force = false;
  std::string reason = {};
  bool operator==(const SwitchoverData&) const = default;
};

std::string encodeSwitchoverData(const SwitchoverData& data);
Result<SwitchoverData> decodeSwitchoverData(std::string_view data, std::string_view znodePath);

}  // namespace sm::config

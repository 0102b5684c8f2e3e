#pragma once
#include <string>

#include "manager/ctl/context.hpp"

namespace sm::ctl {

// Records an operator's action in events/ (kind "operator", host "servicesctl@<hostname>"), so
// that `servicesctl events` shows who paused, cordoned, drained, switched over or restarted what
// beside what the daemons did about it. Best effort: the action is done already, so a failed write
// is only said on stderr. `type` may be empty for a host-wide action (cordon, drain).
void recordOperatorEvent(Context& ctx, const std::string& type, const std::string& message);

}  // namespace sm::ctl

#pragma once
#include "manager/ctl/command.hpp"

namespace sm::ctl {

// switchover TYPE [LOGICAL] [--to HOST|UUID] [--wait] [--timeout D] [-o json]: a planned handover
// of a logical service's master (switchovers/<type>_logicalService<seq>), carried out by the
// managers through the election: the old master is told `unknown` before the target is master.
Command addSwitchoverCommand(CLI::App& app, const GlobalOptions& global);

}  // namespace sm::ctl

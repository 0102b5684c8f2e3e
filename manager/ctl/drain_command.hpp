#pragma once
#include "manager/ctl/command.hpp"

namespace sm::ctl {

// drain HOST [--wait] [--timeout D] [--move-persistent] [--reason TEXT]: cordon the host and move
// every instance off it (cordons/<host> with "drain"): masters hand over first, a replacement is
// registered elsewhere before an instance stops (when a host can take it), one instance of a
// logical service at a time. `uncordon` ends it.
Command addDrainCommand(CLI::App& app, const GlobalOptions& global);

}  // namespace sm::ctl

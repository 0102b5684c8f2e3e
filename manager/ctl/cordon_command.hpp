#pragma once
#include "manager/ctl/command.hpp"

namespace sm::ctl {

// cordon HOST [--reason TEXT] / uncordon HOST: the host takes no new placements while cordoned
// (cordons/<hostId>); what runs there keeps running.
Command addCordonCommand(CLI::App& app, const GlobalOptions& global);
Command addUncordonCommand(CLI::App& app, const GlobalOptions& global);

}  // namespace sm::ctl

#pragma once
#include "manager/ctl/command.hpp"

namespace sm::ctl {

// pause TYPE [--reason TEXT] / resume TYPE: maintenance mode (paused/<type>). While paused the
// managers start, stop, place, replace, scale and roll nothing of the type; running processes keep
// running and elections keep working.
Command addPauseCommand(CLI::App& app, const GlobalOptions& global);
Command addResumeCommand(CLI::App& app, const GlobalOptions& global);

}  // namespace sm::ctl

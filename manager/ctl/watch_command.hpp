#pragma once
#include "manager/ctl/command.hpp"

namespace sm::ctl {

// watch [TYPE] [--for SECONDS] [--count N] [--timestamps]
Command addWatchCommand(CLI::App& app, const GlobalOptions& global);

}  // namespace sm::ctl

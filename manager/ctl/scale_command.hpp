#pragma once
#include "manager/ctl/command.hpp"

namespace sm::ctl {

// scale TYPE [--services N] [--replicas M]
Command addScaleCommand(CLI::App& app, const GlobalOptions& global);

}  // namespace sm::ctl

#pragma once
#include "manager/ctl/command.hpp"

namespace sm::ctl {

// tree [PATH]
Command addTreeCommand(CLI::App& app, const GlobalOptions& global);

}  // namespace sm::ctl

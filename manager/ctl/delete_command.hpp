#pragma once
#include "manager/ctl/command.hpp"

namespace sm::ctl {

// delete TYPE
Command addDeleteCommand(CLI::App& app, const GlobalOptions& global);

}  // namespace sm::ctl

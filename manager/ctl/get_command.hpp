#pragma once
#include "manager/ctl/command.hpp"

namespace sm::ctl {

// get types|logical|physical|hosts [NAME] [-o table|json|yaml]
Command addGetCommand(CLI::App& app, const GlobalOptions& global);

}  // namespace sm::ctl

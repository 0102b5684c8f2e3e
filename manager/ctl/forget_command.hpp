#pragma once
#include "manager/ctl/command.hpp"

namespace sm::ctl {

// forget TYPE UUID: drops one persistent identity (services/<type>/<uuid>), e.g. of a host that
// will never return.
Command addForgetCommand(CLI::App& app, const GlobalOptions& global);

}  // namespace sm::ctl

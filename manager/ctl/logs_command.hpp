#pragma once
#include "manager/ctl/command.hpp"

namespace sm::ctl {

// logs TYPE UUID [--tail N] [--follow] [--stderr]: an instance's output, fetched from its host's
// daemon over that daemon's HTTP endpoint (the "http" of hosts/<id>), like `kubectl logs`.
Command addLogsCommand(CLI::App& app, const GlobalOptions& global);

}  // namespace sm::ctl

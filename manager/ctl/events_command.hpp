#pragma once
#include "manager/ctl/command.hpp"

namespace sm::ctl {

// events [TYPE] [--follow] [--limit N] [-o table|json|yaml]: the daemons' events (events/), like
// `kubectl get events`; --follow prints new ones as their watch fires until SIGINT/SIGTERM.
Command addEventsCommand(CLI::App& app, const GlobalOptions& global);

}  // namespace sm::ctl

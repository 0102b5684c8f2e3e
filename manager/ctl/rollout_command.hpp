#pragma once
#include "manager/ctl/command.hpp"

namespace sm::ctl {

// rollout restart TYPE [--wait] [--timeout D]: every instance restarts, one at a time, secondaries
// first and the master last (it hands over before it stops), like `kubectl rollout restart`.
Command addRolloutCommand(CLI::App& app, const GlobalOptions& global);

}  // namespace sm::ctl

#pragma once
#include "manager/ctl/command.hpp"

namespace sm::ctl {

// apply -f FILE [--dry-run] [--force] [--wait [--timeout DURATION]]
Command addApplyCommand(CLI::App& app, const GlobalOptions& global);

}  // namespace sm::ctl

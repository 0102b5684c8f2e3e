#pragma once
#include "manager/ctl/command.hpp"

namespace sm::ctl {

// gc [--dry-run] [--federations]
Command addGcCommand(CLI::App& app, const GlobalOptions& global);

}  // namespace sm::ctl

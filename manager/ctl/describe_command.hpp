#pragma once
#include "manager/ctl/command.hpp"

namespace sm::ctl {

// describe TYPE
Command addDescribeCommand(CLI::App& app, const GlobalOptions& global);

}  // namespace sm::ctl

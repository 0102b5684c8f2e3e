#pragma once
#include <functional>

#include <CLI/CLI.hpp>

#include "manager/ctl/context.hpp"

namespace sm::ctl {

// Each command file adds its subcommand and returns what runs it once the command line is parsed.
// Running returns the exit code or throws CliError / zk::ZkError.
using CommandRunner = std::function<int()>;
struct Command {
  CLI::App* app = nullptr;
  CommandRunner run;
};

}  // namespace sm::ctl

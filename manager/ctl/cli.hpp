#pragma once

namespace sm::ctl {

// The whole command line: parses, runs the command, prints errors; returns the exit code
// (0 ok, 1 the operation failed, 2 usage or validation error).
int runCli(int argc, char** argv);

}  // namespace sm::ctl

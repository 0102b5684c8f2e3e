#pragma once
#include <chrono>
#include <string>

#include "manager/ctl/command.hpp"

namespace sm::ctl {

// wait TYPE --ready [--timeout DURATION]
Command addWaitCommand(CLI::App& app, const GlobalOptions& global);

// --timeout's value, shared with `apply --wait`: "90", "90s", "500ms", "2m".
inline constexpr const char* kDefaultWaitTimeout = "120s";
// Adds --timeout to `sub`, stored as text into `target` and checked as a duration.
void addWaitTimeoutOption(CLI::App* sub, std::string& target);
std::chrono::milliseconds waitTimeout(const std::string& text);

}  // namespace sm::ctl

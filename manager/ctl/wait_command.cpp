#include "manager/ctl/wait_command.hpp"

#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "manager/ctl/cli_error.hpp"
#include "manager/ctl/readiness_wait.hpp"

namespace sm::ctl {

namespace {

struct WaitOptions {
  std::string type;
  bool ready = false;
  std::string timeout = kDefaultWaitTimeout;
};

int runWait(const GlobalOptions& global, const WaitOptions& options) {
  requireTypeName(options.type);
  if (!options.ready) throw usageError("wait: say what to wait for: --ready");
  const auto timeout = waitTimeout(options.timeout);
  auto ctx = connect(global);
  const auto outcome = waitUntilReady(ctx, {options.type}, timeout);
  const auto& readiness = outcome.types.front();
  if (!outcome.ready) {
    std::cerr << fmt::format("servicesctl: wait: {} is not ready after {}:\n", options.type,
                             options.timeout);
    for (const auto& line : missingLines(readiness)) std::cerr << "  " << line << "\n";
    return kExitFailed;
  }
  std::cout << progressLine(readiness) << "\n";
  for (const auto& line : endpointLines(readiness)) std::cout << line << "\n";
  return kExitOk;
}

}  // namespace

void addWaitTimeoutOption(CLI::App* sub, std::string& target) {
  sub->add_option("--timeout", target,
                  "give up after this long: 90s, 500ms, 2m (a bare number is seconds)")
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            return parseDurationMs(text) ? "" : "not a duration (e.g. 30s, 500ms, 2m): " + text;
          },
          "DURATION"))
      ->capture_default_str();
}

std::chrono::milliseconds waitTimeout(const std::string& text) {
  auto ms = parseDurationMs(text);
  if (!ms) throw usageError("--timeout: not a duration: " + text);
  return std::chrono::milliseconds(*ms);
}

Command addWaitCommand(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<WaitOptions>();
  auto* sub = app.add_subcommand(
      "wait", "wait until every logical service of a type runs all its replicas with a master");
  sub->add_option("type", options->type, "the service type")->required();
  sub->add_flag("--ready", options->ready,
                "wait for serviceCount logical services, each with replicationCount running "
                "instances of the current generation and a running master");
  addWaitTimeoutOption(sub, options->timeout);
  sub->footer(
      "Prints the master of each logical service (host, address label, pid, epoch, ports) once\n"
      "ready (exit 0); on timeout says what is missing (exit 1). Wakes on ZooKeeper watches.");
  return {sub, [&global, options] { return runWait(global, *options); }};
}

}  // namespace sm::ctl

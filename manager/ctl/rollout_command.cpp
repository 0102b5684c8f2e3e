#include "manager/ctl/rollout_command.hpp"

#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "manager/ctl/apply_executor.hpp"
#include "manager/ctl/cli_error.hpp"
#include "manager/ctl/operator_event.hpp"
#include "manager/ctl/readiness_wait.hpp"
#include "manager/ctl/wait_command.hpp"

namespace sm::ctl {

namespace {

struct RolloutOptions {
  std::string type;
  bool wait = false;
  std::string timeout = kDefaultWaitTimeout;
};

// A new generation whose process template differs only by its restart stamp: the rolling replace
// of a changed spec does the rest (secondaries first, one at a time, the master last).
int runRolloutRestart(const GlobalOptions& global, const RolloutOptions& options) {
  requireTypeName(options.type);
  const auto timeout = waitTimeout(options.timeout);
  auto ctx = connect(global);
  if (ctx.session->exists(ctx.layout.paused(options.type))) {
    throw operationFailed(fmt::format(
        "service type \"{}\" is paused: nothing would restart until `servicesctl resume {}`; "
        "nothing changed",
        options.type, options.type));
  }
  ApplyExecutor executor(*ctx.session, ctx.layout);
  auto current = executor.read(options.type);
  if (!current) throw operationFailed(fmt::format("service type \"{}\" not found", options.type));
  if (!current->stored) {
    std::cerr << current->problem << "\n";
    throw operationFailed(fmt::format(
        "cannot restart \"{}\": its stored data cannot be read; replace it with apply --force",
        options.type));
  }
  ApplyPlan plan;
  auto entry = planEntry(current->stored->type, current, false);
  entry.action = PlanAction::Update;
  entry.generation = current->stored->generation + 1;
  entry.templateGeneration = entry.generation;  // the restart stamp is part of the template
  entry.restartedAt = std::max(nowMs(), current->stored->restartedAt + 1);
  plan.entries.push_back(entry);
  executor.commit(plan);
  recordOperatorEvent(ctx, options.type,
                      fmt::format("rollout restart: generation {} -> {}",
                                  current->stored->generation, entry.generation));
  std::cout << fmt::format(
      "{}: restart requested, generation {} -> {} (secondaries first, the master last)\n",
      options.type, current->stored->generation, entry.generation);
  if (!options.wait) return kExitOk;
  const auto outcome = waitUntilReady(ctx, {options.type}, timeout);
  if (!outcome.ready) {
    for (const auto& readiness : outcome.types) {
      for (const auto& line : missingLines(readiness)) std::cerr << "  " << line << "\n";
    }
    throw operationFailed(
        fmt::format("rollout restart of {} not done after {}", options.type, options.timeout));
  }
  std::cout << fmt::format("{}: every instance restarted\n", options.type);
  return kExitOk;
}

}  // namespace

Command addRolloutCommand(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<RolloutOptions>();
  auto* rollout = app.add_subcommand("rollout", "roll a type's instances");
  rollout->require_subcommand(1);
  auto* sub = rollout->add_subcommand(
      "restart", "restart every instance, one at a time, secondaries first, the master last");
  sub->add_option("type", options->type, "the service type")->required();
  sub->add_flag("--wait", options->wait,
                "return when every instance runs the new generation with a master");
  addWaitTimeoutOption(sub, options->timeout);
  sub->footer(
      "Stores a new generation that differs only by its restart stamp (kept by apply and scale). "
      "Each\nlogical service replaces one instance at a time once all its replicas run; the "
      "master goes last,\ntold `unknown` and withdrawn before it stops, so the next in line takes "
      "over as in a\nswitchover. A persistent instance restarts in place. Refused for a paused "
      "type.");
  return {sub, [&global, options] { return runRolloutRestart(global, *options); }};
}

}  // namespace sm::ctl

#include "manager/ctl/scale_command.hpp"

#include <iostream>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "manager/ctl/apply_executor.hpp"
#include "manager/ctl/cli_error.hpp"

namespace sm::ctl {

namespace {

struct ScaleOptions {
  std::string type;
  std::optional<std::int64_t> services;
  std::optional<std::int64_t> replicas;
};

// Scale is an apply of the stored spec with other counts: the same version check and generation
// rule, and the same refusal of data that cannot be read.
int runScale(const GlobalOptions& global, const ScaleOptions& options) {
  requireTypeName(options.type);
  if (!options.services && !options.replicas)
    throw usageError("scale: give --services and/or --replicas");
  auto ctx = connect(global);
  ApplyExecutor executor(*ctx.session, ctx.layout);
  auto current = executor.read(options.type);
  if (!current) throw operationFailed(fmt::format("service type \"{}\" not found", options.type));
  if (!current->stored) {
    std::cerr << current->problem << "\n";
    throw operationFailed(
        fmt::format("cannot scale \"{}\": its stored data cannot be read; replace it with "
                    "apply --force",
                    options.type));
  }
  config::ServiceType desired = current->stored->type;
  if (options.services) desired.spec.serviceCount = *options.services;
  if (options.replicas) desired.spec.replicationCount = *options.replicas;
  if (auto problems = config::validateServiceType(desired); !problems.empty()) {
    std::cerr << config::formatDiagnostics(problems);
    throw usageError("nothing was changed");
  }
  ApplyPlan plan;
  plan.entries.push_back(planEntry(desired, current, false));
  executor.commit(plan);
  std::cout << renderPlan(plan, false);
  return kExitOk;
}

}  // namespace

Command addScaleCommand(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<ScaleOptions>();
  auto* sub =
      app.add_subcommand("scale", "change a service type's serviceCount and/or replicationCount");
  sub->add_option("type", options->type, "the service type")->required();
  sub->add_option("--services", options->services, "logical services (serviceCount)");
  sub->add_option("--replicas", options->replicas,
                  "instances per logical service (replicationCount)");
  sub->footer(
      "A version-checked update: a concurrent change fails it (exit 1); the generation grows by "
      "one.");
  return {sub, [&global, options] { return runScale(global, *options); }};
}

}  // namespace sm::ctl

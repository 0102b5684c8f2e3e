#include "manager/ctl/apply_command.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <thread>

#include "config/yaml_loader.hpp"
#include "manager/ctl/apply_executor.hpp"
#include "manager/ctl/cli_error.hpp"
#include "manager/ctl/readiness_wait.hpp"
#include "manager/ctl/wait_command.hpp"

namespace sm::ctl {

namespace {

struct ApplyOptions {
  std::string file;
  bool dryRun = false;
  bool force = false;
  bool wait = false;
  std::string timeout = kDefaultWaitTimeout;
};

// Test hook: with SERVICESMGR_TEST_APPLY_PAUSE=P, apply creates P.reached after it read the tree
// and waits (at most a minute) until P exists before it writes, so that a test can run a second
// apply in between and see exactly one of them win.
void pauseForTests() {
  const char* pause = std::getenv("SERVICESMGR_TEST_APPLY_PAUSE");
  if (!pause || !*pause) return;
  const std::filesystem::path go(pause);
  std::ofstream(go.string() + ".reached").put('\n');
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  while (!std::filesystem::exists(go) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

// One line per type whose progress changed since the last read, until every type is ready.
int waitConverged(Context& ctx, const std::vector<std::string>& types,
                  std::chrono::milliseconds timeout, const std::string& timeoutText) {
  std::map<std::string, std::string> shown;
  const auto outcome = waitUntilReady(ctx, types, timeout, [&](const auto& readiness) {
    for (const auto& type : readiness) {
      auto line = progressLine(type);
      if (shown[type.type] == line) continue;
      std::cout << line << std::endl;
      shown[type.type] = std::move(line);
    }
  });
  if (outcome.ready) {
    std::cout << "converged\n";
    return kExitOk;
  }
  std::cerr << "servicesctl: apply --wait: not converged after " << timeoutText << ":\n";
  for (const auto& type : outcome.types) {
    for (const auto& line : missingLines(type)) std::cerr << "  " << line << "\n";
  }
  return kExitFailed;
}

int runApply(const GlobalOptions& global, const ApplyOptions& options) {
  // The whole file is validated before ZooKeeper is even asked: bad input never touches the tree.
  auto loaded = config::loadServiceTypesFile(options.file);
  if (!loaded) {
    std::cerr << loaded.errorText();
    throw usageError("nothing was applied: the file has errors");
  }
  const auto timeout = waitTimeout(options.timeout);
  auto ctx = connect(global);
  ApplyExecutor executor(*ctx.session, ctx.layout);
  auto plan = executor.plan(loaded.value(), options.force);
  if (plan.refused()) {
    std::cerr << renderPlan(plan, true);
    executor.commit(plan);  // throws the refusal, naming the types
  }
  if (options.dryRun) {
    std::cout << renderPlan(plan, true);
    return kExitOk;
  }
  pauseForTests();
  executor.commit(plan);
  std::cout << renderPlan(plan, false);
  if (!options.wait) return kExitOk;
  std::vector<std::string> types;
  for (const auto& type : loaded.value()) types.push_back(type.name);
  return waitConverged(ctx, types, timeout, options.timeout);
}

}  // namespace

Command addApplyCommand(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<ApplyOptions>();
  auto* sub =
      app.add_subcommand("apply", "create or update service types from a YAML file, atomically");
  sub->add_option("-f,--filename", options->file, "the YAML file, or - for standard input")
      ->required();
  sub->add_flag("--dry-run", options->dryRun,
                "print what would be created, changed or left, and write nothing");
  sub->add_flag(
      "--force", options->force,
      "replace config/<name> znodes whose data cannot be read (written by another client); "
      "without it apply refuses and writes nothing");
  sub->add_flag("--wait", options->wait,
                "then show instances coming up until every applied type has converged");
  addWaitTimeoutOption(sub, options->timeout);
  sub->footer(
      "Every type of the file is written in one ZooKeeper multi() with version checks: all or "
      "nothing.\n"
      "A type another client changed after apply read it fails the whole apply (exit 1).\n"
      "With --wait: one line per change (\"demo: 2/3 logical services ready, 7/9 instances "
      "running\")\nuntil each type has serviceCount logical services with replicationCount "
      "running instances\nand a master (exit 0), or --timeout passes (exit 1, naming what is "
      "missing).");
  return {sub, [&global, options] { return runApply(global, *options); }};
}

}  // namespace sm::ctl

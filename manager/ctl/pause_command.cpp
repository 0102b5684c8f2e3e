#include "manager/ctl/pause_command.hpp"

#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "config/pause_data.hpp"
#include "manager/ctl/cli_error.hpp"
#include "manager/ctl/operator_event.hpp"
#include "manager/zk/error.hpp"

namespace sm::ctl {

namespace {

int runPause(const GlobalOptions& global, const std::string& type, const std::string& reason) {
  requireTypeName(type);
  auto ctx = connect(global);
  const auto path = ctx.layout.paused(type);
  if (ctx.session->exists(path)) {
    std::cout << fmt::format("{}: already paused\n", type);
    return kExitOk;
  }
  if (!ctx.session->exists(ctx.layout.serviceType(type))) {
    throw operationFailed(fmt::format("service type \"{}\" not found; nothing changed", type));
  }
  ctx.session->ensurePath(ctx.layout.pausedDir());
  try {
    ctx.session->create(path, config::encodePauseData({nowMs(), reason}));
  } catch (const zk::ZkError& e) {
    if (e.code() != zk::Code::NodeExists) throw;
  }
  recordOperatorEvent(ctx, type, reason.empty() ? "paused" : "paused: " + reason);
  std::cout << fmt::format(
      "{}: paused (nothing is started, stopped, placed, replaced, scaled or rolled; running "
      "processes keep running and a dead master still fails over)\n",
      type);
  return kExitOk;
}

int runResume(const GlobalOptions& global, const std::string& type) {
  requireTypeName(type);
  auto ctx = connect(global);
  try {
    ctx.session->remove(ctx.layout.paused(type));
  } catch (const zk::ZkError& e) {
    if (e.code() != zk::Code::NoNode) throw;
    std::cout << fmt::format("{}: not paused\n", type);
    return kExitOk;
  }
  recordOperatorEvent(ctx, type, "resumed");
  std::cout << fmt::format("{}: resumed (the managers make it match its spec again)\n", type);
  return kExitOk;
}

}  // namespace

Command addPauseCommand(CLI::App& app, const GlobalOptions& global) {
  auto type = std::make_shared<std::string>();
  auto reason = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("pause", "maintenance mode: the managers leave a type alone");
  sub->add_option("type", *type, "the service type")->required();
  sub->add_option("--reason", *reason, "why, shown by get, describe and the type's status");
  sub->footer(
      "While paused (paused/<type>) the managers start, stop, place, replace, scale and roll "
      "nothing of\nthe type: a process that exits is not restarted, and a missing replica is not "
      "placed until\n`resume`. Elections keep working: a dead master still fails over. Already "
      "paused: exit 0.");
  return {sub, [&global, type, reason] { return runPause(global, *type, *reason); }};
}

Command addResumeCommand(CLI::App& app, const GlobalOptions& global) {
  auto type = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("resume", "end a type's maintenance mode");
  sub->add_option("type", *type, "the service type")->required();
  sub->footer("Not paused: exit 0, nothing changed.");
  return {sub, [&global, type] { return runResume(global, *type); }};
}

}  // namespace sm::ctl

#include "manager/ctl/switchover_command.hpp"

#include <iostream>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "config/switchover_data.hpp"
#include "manager/ctl/cli_error.hpp"
#include "manager/ctl/operator_event.hpp"
#include "manager/ctl/cluster_wait.hpp"
#include "manager/ctl/output_format.hpp"
#include "manager/ctl/switchover_plan.hpp"
#include "manager/ctl/wait_command.hpp"
#include "manager/zk/error.hpp"

namespace sm::ctl {

namespace {

constexpr const char* kDefaultSwitchoverTimeout = "30s";

struct SwitchoverOptions {
  std::string type;
  std::optional<std::string> logical;
  std::optional<std::string> to;
  bool wait = false;
  bool force = false;
  std::string timeout = kDefaultSwitchoverTimeout;
  std::string output = "table";
};

// Writes the request; a request past its deadline is replaced (it did not happen, and says so
// only by being there).
void request(Context& ctx, const config::LogicalServiceId& id, const config::SwitchoverData& data) {
  const auto path = ctx.layout.switchover(id);
  ctx.session->ensurePath(ctx.layout.switchoversDir());
  if (auto old = ctx.session->get(path)) {
    auto decoded = config::decodeSwitchoverData(old->data, path);
    if (decoded && decoded.value().deadline >= data.created) {
      throw operationFailed(fmt::format("a switchover of {} is in progress (to {}); nothing changed",
                                        ctx.layout.logicalService(id), decoded.value().target));
    }
    try {
      ctx.session->remove(path, old->stat.version);
    } catch (const zk::ZkError& e) {
      if (e.code() != zk::Code::NoNode) throw;
    }
  }
  try {
    ctx.session->create(path, config::encodeSwitchoverData(data));
  } catch (const zk::ZkError& e) {
    if (e.code() != zk::Code::NodeExists) throw;
    throw operationFailed(fmt::format(
        "another switchover of {} was asked for at the same moment; nothing changed",
        ctx.layout.logicalService(id)));
  }
}

int runSwitchover(const GlobalOptions& global, const SwitchoverOptions& options) {
  requireTypeName(options.type);
  const auto format = parseOutputFormat(options.output);
  const auto timeout = waitTimeout(options.timeout);
  auto ctx = connect(global);
  ctx.session->sync(ctx.layout.configDir());
  ReadOptions read;
  read.type = options.type;
  const auto snapshot = readCluster(*ctx.session, ctx.layout, read);
  const auto* type = snapshot.type(options.type);
  if (!type) throw operationFailed(fmt::format("service type \"{}\" not found", options.type));
  const auto& logical = pickLogical(*type, options.logical);
  const auto now = nowMs();
  const auto choice = chooseSwitchover(snapshot, *type, logical, options.to, now, options.force);
  if (!choice.refusal.empty()) throw operationFailed(choice.refusal + "; nothing changed");
  config::SwitchoverData data{choice.target->uuid, choice.master->uuid, now,
                              now + timeout.count()};
  data.force = options.force;
  if (options.force) data.reason = "servicesctl switchover --force";
  request(ctx, logical.id, data);
  recordOperatorEvent(ctx, options.type,
                      fmt::format("switchover of logical service {} requested: {} -> {}",
                                  logical.id.sequence, describeInstance(*choice.master),
                                  describeInstance(*choice.target)));
  const auto name = ctx.layout.logicalService(logical.id);
  if (format == OutputFormat::Table) {
    std::cout << fmt::format("switchover of {}: {} -> {} requested\n", name,
                             describeInstance(*choice.master), describeInstance(*choice.target));
  }
  nlohmann::ordered_json result = {{"type", options.type},
                                   {"logical", logical.id.sequence},
                                   {"from", choice.master->uuid},
                                   {"to", choice.target->uuid},
                                   {"requested", true}};
  if (!options.wait) {
    if (format != OutputFormat::Table) std::cout << renderDocument(result, format);
    return kExitOk;
  }
  std::optional<std::int64_t> epoch;
  std::string last = "no read yet";
  const bool done = waitForCluster(ctx, read, timeout, [&](const model::ClusterSnapshot& now) {
    const auto* l = now.logical(logical.id);
    if (!l) {
      last = "the logical service is gone";
      return false;
    }
    const auto* master = l->master();
    last = master ? "its master is " + describeInstance(*master) : "it has no master";
    if (master && master->uuid == data.target) {
      epoch = l->masterEpoch();
      return true;
    }
    return false;
  });
  result["done"] = done;
  if (epoch) result["epoch"] = *epoch;
  if (format != OutputFormat::Table) std::cout << renderDocument(result, format);
  if (!done) {
    throw operationFailed(fmt::format("switchover of {} not done after {}: {}", name,
                                      options.timeout, last));
  }
  if (format == OutputFormat::Table) {
    std::cout << fmt::format("switchover of {} done: {} is master (epoch {})\n", name,
                             data.target, epoch.value_or(0));
  }
  return kExitOk;
}

}  // namespace

Command addSwitchoverCommand(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<SwitchoverOptions>();
  auto* sub = app.add_subcommand("switchover", "hand a logical service's master over on purpose");
  sub->add_option("type", options->type, "the service type")->required();
  sub->add_option("logical", options->logical,
                  "its logical service (number); may be left out when the type has one");
  sub->add_option("--to", options->to,
                  "the new master: an instance uuid, or a host running one instance of it "
                  "(default: the next in the failover chain)");
  sub->add_flag("--wait", options->wait, "return when the target is master (exit 1 at --timeout)");
  sub->add_flag("--force", options->force,
                "spec.promotion: promote the target even when maxLag holds it back (acknowledged "
                "writes it lacks are lost); also names a held candidate");
  sub->add_option("--timeout", options->timeout,
                  "how long the request stands, and --wait waits: 30s, 500ms, 2m")
      ->capture_default_str();
  sub->add_option("-o,--output", options->output, "table, json or yaml")
      ->check(CLI::IsMember(
          std::vector<std::string>(std::begin(kOutputFormats), std::end(kOutputFormats))))
      ->capture_default_str();
  sub->footer(
      "The target must be registered, running and healthy, eligible as master and not on a "
      "draining\nhost; otherwise nothing is written (exit 1). The managers reorder the failover "
      "chain through\nthe election: the old master is told `unknown` before the target is told "
      "`master`, and then\nserves as a secondary. One switchover per logical service at a time.");
  return {sub, [&global, options] { return runSwitchover(global, *options); }};
}

}  // namespace sm::ctl

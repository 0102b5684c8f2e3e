#include "manager/ctl/cordon_command.hpp"

#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "config/cordon_data.hpp"
#include "config/names.hpp"
#include "manager/ctl/cli_error.hpp"
#include "manager/ctl/operator_event.hpp"
#include "manager/zk/error.hpp"

namespace sm::ctl {

namespace {

void requireHostId(const std::string& host) {
  if (auto problem = config::checkHostId(host)) {
    throw usageError(fmt::format("host \"{}\": {}", host, *problem));
  }
}

int runCordon(const GlobalOptions& global, const std::string& host, const std::string& reason) {
  requireHostId(host);
  auto ctx = connect(global);
  const auto path = ctx.layout.cordon(host);
  if (ctx.session->exists(path)) {
    std::cout << fmt::format("{}: already cordoned\n", host);
    return kExitOk;
  }
  // A host that is not registered is most likely a typo: marking it would do nothing visible.
  if (!ctx.session->exists(ctx.layout.host(host))) {
    throw operationFailed(fmt::format(
        "host \"{}\" is not registered (no {}; servicesctl get hosts lists them); nothing changed",
        host, ctx.layout.host(host)));
  }
  ctx.session->ensurePath(ctx.layout.cordonsDir());
  try {
    ctx.session->create(path, config::encodeCordonData({nowMs(), reason}));
  } catch (const zk::ZkError& e) {
    if (e.code() != zk::Code::NodeExists) throw;
  }
  recordOperatorEvent(ctx, "",
                      "cordoned " + host + (reason.empty() ? std::string() : ": " + reason));
  std::cout << fmt::format("{}: cordoned (no new placements; what runs there keeps running)\n",
                           host);
  return kExitOk;
}

int runUncordon(const GlobalOptions& global, const std::string& host) {
  requireHostId(host);
  auto ctx = connect(global);
  try {
    ctx.session->remove(ctx.layout.cordon(host));
  } catch (const zk::ZkError& e) {
    if (e.code() != zk::Code::NoNode) throw;
    std::cout << fmt::format("{}: not cordoned\n", host);
    return kExitOk;
  }
  recordOperatorEvent(ctx, "", "uncordoned " + host);
  std::cout << fmt::format("{}: uncordoned\n", host);
  return kExitOk;
}

}  // namespace

Command addCordonCommand(CLI::App& app, const GlobalOptions& global) {
  auto host = std::make_shared<std::string>();
  auto reason = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("cordon", "stop placing new instances on a host");
  sub->add_option("host", *host, "the host id (servicesctl get hosts)")->required();
  sub->add_option("--reason", *reason, "why, shown by get hosts and in the types' status");
  sub->footer(
      "The mark (cordons/<host>) outlives the host's session and its daemon's restarts. What runs "
      "there\n"
      "keeps running; replicas that would have gone there go elsewhere, and a type's status says "
      "when\n"
      "the cordon is why one is missing. Already cordoned: exit 0, nothing changed.");
  return {sub, [&global, host, reason] { return runCordon(global, *host, *reason); }};
}

Command addUncordonCommand(CLI::App& app, const GlobalOptions& global) {
  auto host = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("uncordon", "place new instances on a host again");
  sub->add_option("host", *host, "the host id")->required();
  sub->footer("Not cordoned: exit 0, nothing changed.");
  return {sub, [&global, host] { return runUncordon(global, *host); }};
}

}  // namespace sm::ctl

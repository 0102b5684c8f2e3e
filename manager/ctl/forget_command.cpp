#include "manager/ctl/forget_command.hpp"

#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "config/names.hpp"
#include "config/persistent_service_data.hpp"
#include "manager/ctl/cli_error.hpp"
#include "manager/zk/error.hpp"

namespace sm::ctl {

namespace {

struct ForgetOptions {
  std::string type;
  std::string uuid;
  bool purgeData = false;
};

int runForget(const GlobalOptions& global, const ForgetOptions& options) {
  requireTypeName(options.type);
  if (auto problem = config::checkUuid(options.uuid)) {
    throw usageError(fmt::format("uuid \"{}\": {}", options.uuid, *problem));
  }
  auto ctx = connect(global);
  const auto& layout = ctx.layout;
  const auto path = layout.persistentService(options.type, options.uuid);
  ctx.session->sync(path);
  auto node = ctx.session->get(path);
  if (!node) {
    throw operationFailed(fmt::format("no persistent identity {} of service type \"{}\" ({})",
                                      options.uuid, options.type, path));
  }
  auto data = config::decodePersistentServiceData(node->data, path);
  if (data) {
    // A running identity is its manager's to stop: forgetting it would leave its replica
    // unaccounted for while it runs.
    const config::PhysicalServiceId id{{options.type, data.value().logical}, options.uuid};
    if (ctx.session->exists(layout.physicalService(id))) {
      throw operationFailed(fmt::format(
          "{} runs on {}: scale {} down or delete it first; nothing was changed", options.uuid,
          data.value().host, options.type));
    }
  }
  if (options.purgeData && !data) {
    throw operationFailed(fmt::format("{}: its record cannot be read, so its host is not known; "
                                      "forget it without --purge-data; nothing was changed\n{}",
                                      options.uuid, data.errorText()));
  }
  try {
    if (options.purgeData) {
      // Its host's manager removes the directory, then the record.
      auto purging = data.value();
      purging.state = config::PersistentState::Purging;
      ctx.session->set(path, config::encodePersistentServiceData(purging), node->stat.version);
    } else {
      ctx.session->remove(path, node->stat.version);
    }
  } catch (const zk::ZkError& e) {
    if (e.code() != zk::Code::BadVersion) throw;
    throw operationFailed(fmt::format("{} changed while we looked (its host may be taking it "
                                      "back); nothing was changed, try again",
                                      path));
  }
  if (options.purgeData) {
    const auto& host = data.value().host;
    if (ctx.session->exists(layout.host(host))) {
      std::cout << fmt::format("{}: forgotten; {} removes {}, then its record\n", options.uuid,
                               host, data.value().dataDir);
    } else {
      std::cout << fmt::format(
          "{}: forgotten; its host {} is gone: it removes {} when it is back (listed as purging "
          "until then)\n",
          options.uuid, host, data.value().dataDir);
    }
  } else if (data) {
    std::cout << fmt::format("{}: forgotten; its data stays on {} in {}\n", options.uuid,
                             data.value().host, data.value().dataDir);
  } else {
    std::cout << fmt::format("{}: forgotten (its record could not be read: {})\n", options.uuid,
                             data.errorText());
  }
  return kExitOk;
}

}  // namespace

Command addForgetCommand(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<ForgetOptions>();
  auto* sub = app.add_subcommand(
      "forget", "drop a persistent identity (e.g. of a host that will never come back)");
  sub->add_option("type", options->type, "the service type")->required();
  sub->add_option("uuid", options->uuid, "the identity (servicesctl get instances TYPE)")
      ->required();
  sub->add_flag("--purge-data", options->purgeData,
                "also have its host's daemon remove its data directory (when that host is gone: "
                "once it is back)");
  sub->footer(
      "Only an identity that runs nowhere can be forgotten. Its data directory stays on its host "
      "unless\n"
      "--purge-data; a\n"
      "persistent type short of replicas then places a new identity with an empty data "
      "directory.");
  return {sub, [&global, options] { return runForget(global, *options); }};
}

}  // namespace sm::ctl

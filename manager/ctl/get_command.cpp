#include "manager/ctl/get_command.hpp"

#include <algorithm>
#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "config/names.hpp"
#include "manager/ctl/cli_error.hpp"
#include "manager/ctl/cluster_reader.hpp"
#include "manager/ctl/get_views.hpp"
#include "manager/ctl/lock_reader.hpp"
#include "manager/ctl/lock_views.hpp"

namespace sm::ctl {

namespace {

struct GetOptions {
  std::string kind;
  std::string name;
  std::string output = "table";
};

int runGet(const GlobalOptions& global, const GetOptions& options) {
  const auto kind = parseGetKind(options.kind);
  if (kind == GetKind::Locks) {
    if (!options.name.empty()) {
      if (auto why = config::checkLockName(options.name)) {
        throw usageError(fmt::format("lock name \"{}\": {}", options.name, *why));
      }
    }
    auto ctx = connect(global);
    auto locks = readLocks(*ctx.session, ctx.layout,
                           options.name.empty() ? std::nullopt : std::optional(options.name));
    std::cout << renderLocks(locks, parseOutputFormat(options.output), nowMs());
    return kExitOk;
  }
  if (kind != GetKind::Hosts && !options.name.empty()) requireTypeName(options.name);
  auto ctx = connect(global);
  ReadOptions read;
  read.hosts = kind == GetKind::Hosts;
  read.identities = kind == GetKind::Instances;
  if (kind != GetKind::Hosts && !options.name.empty()) read.type = options.name;
  auto snapshot = readCluster(*ctx.session, ctx.layout, read);
  if (kind == GetKind::Hosts && !options.name.empty()) {
    std::erase_if(snapshot.hosts, [&](const auto& host) { return host.first != options.name; });
    if (snapshot.hosts.empty())
      throw operationFailed(fmt::format("host \"{}\" not found", options.name));
  }
  // (Identities outlive their type: `get instances T` lists them after T was deleted.)
  if (read.type && snapshot.types.empty() && kind != GetKind::Instances) {
    throw operationFailed(fmt::format("service type \"{}\" not found", options.name));
  }
  std::cout << renderGet(snapshot, kind, parseOutputFormat(options.output), nowMs());
  return kExitOk;
}

}  // namespace

Command addGetCommand(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<GetOptions>();
  auto* sub = app.add_subcommand(
      "get",
      "list service types, logical services, physical instances, hosts, persistent instances or "
      "locks");
  sub->add_option("kind", options->kind,
                  "types | logical | physical | hosts | instances | locks")
      ->required()
      ->check(CLI::IsMember(std::vector<std::string>(std::begin(kGetKinds), std::end(kGetKinds))));
  sub->add_option("name", options->name,
                  "only this service type (for hosts: this host; for locks: this lock)");
  sub->add_option("-o,--output", options->output, "table | json | yaml")
      ->check(CLI::IsMember(
          std::vector<std::string>(std::begin(kOutputFormats), std::end(kOutputFormats))))
      ->capture_default_str();
  sub->footer(
      "Data that cannot be read is reported under the table (\"error: ...\") and the rest is "
      "shown.");
  return {sub, [&global, options] { return runGet(global, *options); }};
}

}  // namespace sm::ctl

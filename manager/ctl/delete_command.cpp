#include "manager/ctl/delete_command.hpp"

#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "manager/ctl/cli_error.hpp"
#include "manager/ctl/cluster_reader.hpp"
#include "manager/ctl/tree.hpp"
#include "manager/zk/path.hpp"

namespace sm::ctl {

namespace {

// A multi() must fit in one request (jute.maxbuffer, 1 MiB by default).
constexpr std::size_t kMaxDeleteOps = 4000;
// Managers register and unregister instances under the type while we read it; each such change
// makes the multi fail (NotEmpty, NoNode) and we read again.
constexpr int kAttempts = 5;

// Removes the type's znode and everything below it in one multi(), so that no manager ever sees a
// type without its logical services or logical services without their type; with `identities`
// (--purge), its persistent identities too, in the same multi().
void removeSubtree(zk::Session& session, const std::string& path, const std::string& type,
                   const std::optional<std::string>& identities) {
  for (int attempt = 1;; ++attempt) {
    session.sync(path);
    auto tree = readTree(session, path);
    if (!tree) throw operationFailed(fmt::format("service type \"{}\" not found", type));
    auto ops = removeSubtreeOps(*tree, path);
    if (identities) {
      if (auto records = readTree(session, *identities)) {
        for (auto& op : removeSubtreeOps(*records, *identities)) ops.push_back(std::move(op));
      }
    }
    if (ops.size() > kMaxDeleteOps) {
      throw operationFailed(
          fmt::format("service type \"{}\" has {} znodes, more than one request may remove ({}); "
                      "scale it down first; nothing was deleted",
                      type, ops.size(), kMaxDeleteOps));
    }
    try {
      session.multi(ops);
      return;
    } catch (const zk::MultiError& e) {
      const bool raced = e.code() == zk::Code::NotEmpty || e.code() == zk::Code::NoNode;
      if (!raced || attempt == kAttempts) throw;
    }
  }
}

int runDelete(const GlobalOptions& global, const std::string& type, bool purge) {
  requireTypeName(type);
  auto ctx = connect(global);
  ReadOptions read;
  read.type = type;
  read.hosts = false;
  read.identities = true;
  const auto snapshot = readCluster(*ctx.session, ctx.layout, read);
  const auto* found = snapshot.type(type);
  if (!found) throw operationFailed(fmt::format("service type \"{}\" not found", type));
  const auto instances = snapshot.instanceCount(type);
  const auto persistent = snapshot.persistent.find(type);
  const std::size_t identities =
      persistent == snapshot.persistent.end() ? 0 : persistent->second.size();
  removeSubtree(*ctx.session, ctx.layout.serviceType(type), type,
                purge ? std::optional(ctx.layout.persistentServicesDir(type)) : std::nullopt);
  std::cout << fmt::format("{}: deleted ({} logical services", type, found->logical.size());
  if (instances > 0) {
    std::cout << fmt::format(", {} registered instances: their managers stop them", instances);
  }
  std::cout << ")\n";
  if (identities > 0 && purge) {
    std::cout << fmt::format(
        "{} persistent identities forgotten (their data stays on their hosts)\n", identities);
  } else if (identities > 0) {
    std::cout << fmt::format(
        "{} persistent identities kept: applied again, {} starts them where their data is (delete "
        "--purge forgets them)\n",
        identities, type);
  }
  return kExitOk;
}

}  // namespace

Command addDeleteCommand(CLI::App& app, const GlobalOptions& global) {
  auto type = std::make_shared<std::string>();
  auto purge = std::make_shared<bool>(false);
  auto* sub =
      app.add_subcommand("delete", "delete a service type and everything the tree holds under it");
  sub->add_option("type", *type, "the service type")->required();
  sub->add_flag("--purge", *purge,
                "also forget its persistent identities (services/<type>); their data directories "
                "stay on their hosts");
  sub->footer(
      "The type's znode and its whole subtree (logical services, registrations, elections, status) "
      "go in one\n"
      "multi(). Running instances are not killed by servicesctl: their managers see the type gone "
      "and stop them.\n"
      "A persistent type's identities (services/<type>) are kept unless --purge: applied again, "
      "the type\n"
      "starts them again where their data is.");
  return {sub, [&global, type, purge] { return runDelete(global, *type, *purge); }};
}

}  // namespace sm::ctl

#include "manager/ctl/gc_command.hpp"

#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "manager/ctl/cli_error.hpp"
#include "manager/ctl/gc_plan.hpp"
#include "manager/ctl/tree.hpp"
#include "manager/zk/error.hpp"

namespace sm::ctl {

namespace {

struct GcOptions {
  bool dryRun = false;
  bool federations = false;
};

// Removes one reaped item: an empty lock directory alone, a gone federation with its subtree. A
// node that gained a child meanwhile (a contender, a host) is in use again and stays.
bool reap(zk::Session& session, const GcItem& item, bool subtree) {
  try {
    if (!subtree) {
      session.remove(item.path);
      return true;
    }
    session.sync(item.path);
    auto tree = readTree(session, item.path);
    if (!tree) return true;
    session.multi(removeSubtreeOps(*tree, item.path));
    return true;
  } catch (const zk::ZkError& e) {
    if (e.code() == zk::Code::NoNode) return true;
    if (e.code() == zk::Code::NotEmpty) return false;
    throw;
  }
}

int runGc(const GlobalOptions& global, const GcOptions& options) {
  auto ctx = connect(global);
  const auto& top = ctx.layout.root();
  ctx.session->sync(top);
  auto tree = readTree(*ctx.session, top);
  if (!tree) throw operationFailed(fmt::format("{} does not exist", top));
  const auto items = options.federations ? planFederationGc(top, *tree) : planGc(ctx.layout, *tree);
  int reaped = 0;
  for (const auto& item : items) {
    if (item.kept) {
      std::cout << fmt::format("kept         {}: {}\n", item.path, item.reason);
    } else if (options.dryRun) {
      std::cout << fmt::format("would remove {}: {}\n", item.path, item.reason);
      ++reaped;
    } else if (reap(*ctx.session, item, options.federations)) {
      std::cout << fmt::format("removed      {}: {}\n", item.path, item.reason);
      ++reaped;
    } else {
      std::cout << fmt::format("kept         {}: in use again\n", item.path);
    }
  }
  std::cout << fmt::format("{} {} node(s) under {}\n", options.dryRun ? "would reap" : "reaped",
                           reaped, top);
  return kExitOk;
}

}  // namespace

Command addGcCommand(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<GcOptions>();
  auto* sub = app.add_subcommand("gc", "reap what nothing will use again");
  sub->add_flag("--dry-run", options->dryRun, "say what would go, change nothing");
  sub->add_flag("--federations", options->federations,
                "--root is a parent: reap each federation under it with no live host and no "
                "service type");
  sub->footer(
      "Reaps the config monitor locks of deleted types and the create-locks of logical services "
      "that no longer\n"
      "exist. Locks with waiting contenders are kept. With --federations, whole federation roots "
      "are reaped instead.");
  return {sub, [&global, options] { return runGc(global, *options); }};
}

}  // namespace sm::ctl

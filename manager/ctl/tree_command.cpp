#include "manager/ctl/tree_command.hpp"

#include <iostream>
#include <memory>

#include <fmt/format.h>

#include "manager/ctl/cli_error.hpp"
#include "manager/ctl/tree.hpp"

namespace sm::ctl {

namespace {

int runTree(const GlobalOptions& global, const std::string& path) {
  if (!path.empty()) {
    if (auto problem = config::checkZnodePath(path))
      throw usageError(fmt::format("tree \"{}\": {}", path, *problem));
  }
  auto ctx = connect(global);
  const std::string top = path.empty() ? ctx.layout.root() : path;
  auto node = readTree(*ctx.session, top);
  if (!node) {
    std::cout << top << " does not exist yet\n";
    return kExitOk;
  }
  std::cout << renderTree(*node);
  return kExitOk;
}

}  // namespace

Command addTreeCommand(CLI::App& app, const GlobalOptions& global) {
  auto path = std::make_shared<std::string>();
  auto* sub = app.add_subcommand("tree", "print the tree like bigdata's DumpZookeeper");
  sub->add_option("path", *path, "where to start (default: the root)");
  sub->footer(
      "One line a node, two spaces a level, ephemeral nodes marked \"(ephemeral)\", data after the "
      "name.");
  return {sub, [&global, path] { return runTree(global, *path); }};
}

}  // namespace sm::ctl

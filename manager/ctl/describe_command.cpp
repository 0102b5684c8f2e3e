#include "manager/ctl/describe_command.hpp"

#include <iostream>
#include <memory>

#include "manager/ctl/cli_error.hpp"
#include "manager/ctl/cluster_reader.hpp"
#include "manager/ctl/describe_view.hpp"
#include "manager/ctl/lock_reader.hpp"
#include "manager/ctl/lock_views.hpp"

namespace sm::ctl {

namespace {

// The type's latest events are enough to explain what just happened.
constexpr std::size_t kDescribeEvents = 20;

int runDescribe(const GlobalOptions& global, const std::string& type) {
  requireTypeName(type);
  auto ctx = connect(global);
  const auto snapshot = readExistingType(*ctx.session, ctx.layout, type,
                                         model::EventQuery{type, -1, kDescribeEvents});
  std::cout << renderDescribe(snapshot, *snapshot.type(type), nowMs());
  // The cluster-wide locks its processes hold or wait for, when there are any.
  std::cout << typeLocksSection(readLocks(*ctx.session, ctx.layout), type, nowMs());
  return kExitOk;
}

}  // namespace

Command addDescribeCommand(CLI::App& app, const GlobalOptions& global) {
  auto type = std::make_shared<std::string>();
  auto* sub = app.add_subcommand(
      "describe", "show a service type: spec, logical services, instances, status, events");
  sub->add_option("type", *type, "the service type")->required();
  return {sub, [&global, type] { return runDescribe(global, *type); }};
}

}  // namespace sm::ctl

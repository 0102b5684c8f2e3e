#include "manager/ctl/cli.hpp"

#include <iostream>
#include <vector>

#include <CLI/CLI.hpp>

#include "manager/ctl/apply_command.hpp"
#include "manager/ctl/cli_error.hpp"
#include "manager/ctl/delete_command.hpp"
#include "manager/ctl/cordon_command.hpp"
#include "manager/ctl/drain_command.hpp"
#include "manager/ctl/pause_command.hpp"
#include "manager/ctl/rollout_command.hpp"
#include "manager/ctl/switchover_command.hpp"
#include "manager/ctl/describe_command.hpp"
#include "manager/ctl/events_command.hpp"
#include "manager/ctl/forget_command.hpp"
#include "manager/ctl/logs_command.hpp"
#include "manager/ctl/gc_command.hpp"
#include "manager/ctl/get_command.hpp"
#include "manager/ctl/scale_command.hpp"
#include "manager/ctl/tree_command.hpp"
#include "manager/ctl/wait_command.hpp"
#include "manager/ctl/watch_command.hpp"
#include "manager/zk/error.hpp"

namespace sm::ctl {

int runCli(int argc, char** argv) {
  CLI::App app{"servicesctl: declare service types and watch what servicesmgr makes of them"};
  app.require_subcommand(1);
  // Global options after the command too (`servicesctl apply -f x --zk h:2181`), as kubectl takes
  // them: the subcommands made below inherit it and pass what they do not know up.
  app.fallthrough();
  GlobalOptions global;
  app.add_option("--zk", global.zk, "ZooKeeper connect string HOST:PORT[,...]")
      ->envname("SERVICESMGR_ZK")
      ->capture_default_str();
  app.add_option("--root", global.root, "the tree's root znode")
      ->envname("SERVICESMGR_ROOT")
      ->capture_default_str();
  app.add_option("--auth", global.auth, "digest credentials USER:PASSWORD")
      ->envname("SERVICESMGR_AUTH");
  app.add_option("--read-access", global.readAccess,
                 "with --auth, who may read the nodes it creates: world|credentials")
      ->envname("SERVICESMGR_READ_ACCESS")
      ->check(CLI::IsMember({"world", "credentials"}))
      ->capture_default_str();
  app.add_option("--timeout-ms", global.timeoutMs, "how long to wait for ZooKeeper")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  app.footer(
      "Exit codes: 0 ok, 1 the operation failed, 2 usage or validation error. "
      "'servicesctl COMMAND --help' describes each command.");

  const std::vector<Command> commands = {
      addApplyCommand(app, global), addGetCommand(app, global),    addDescribeCommand(app, global),
      addScaleCommand(app, global), addDeleteCommand(app, global), addTreeCommand(app, global),
      addWatchCommand(app, global), addGcCommand(app, global),   addWaitCommand(app, global),
      addForgetCommand(app, global), addLogsCommand(app, global), addCordonCommand(app, global),
      addUncordonCommand(app, global), addDrainCommand(app, global), addPauseCommand(app, global),
      addResumeCommand(app, global), addSwitchoverCommand(app, global),
      addRolloutCommand(app, global), addEventsCommand(app, global),
  };

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 would only say that a subcommand is required: name the word it did not know.
    if (app.get_subcommands().empty() && !app.remaining().empty()) {
      std::vector<std::string> names;
      for (const auto& command : commands) {
        // (A nested command, `rollout restart`, is listed by its top word.)
        const auto* top = command.app->get_parent() == &app ? command.app : command.app->get_parent();
        names.push_back(top->get_name());
      }
      std::cerr << "servicesctl: unknown command \"" << app.remaining().front()
                << "\" (commands: " << CLI::detail::join(names, ", ") << ")\n";
      return kExitUsage;
    }
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }

  try {
    for (const auto& command : commands) {
      if (command.app->parsed()) return command.run();
    }
    return kExitUsage;
  } catch (const CliError& e) {
    std::cerr << "servicesctl: " << e.what() << "\n";
    return e.exitCode();
  } catch (const zk::ZkError& e) {
    std::cerr << "servicesctl: ZooKeeper at " << global.zk << ": " << e.what() << "\n";
    return kExitFailed;
  } catch (const std::exception& e) {
    std::cerr << "servicesctl: " << e.what() << "\n";
    return kExitFailed;
  }
}

}  // namespace sm::ctl

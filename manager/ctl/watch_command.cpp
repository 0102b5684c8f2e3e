#include "manager/ctl/watch_command.hpp"

#include <unistd.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "manager/ctl/armed_watches.hpp"
#include "manager/ctl/cli_error.hpp"
#include "manager/ctl/follow_loop.hpp"
#include "manager/ctl/cluster_reader.hpp"
#include "manager/ctl/table.hpp"
#include "manager/ctl/watch_diff.hpp"

namespace sm::ctl {

namespace {

struct WatchOptions {
  std::string type;
  std::optional<double> forSeconds;
  std::optional<std::size_t> count;
  bool timestamps = false;
};

int runWatch(const GlobalOptions& global, const WatchOptions& options) {
  if (!options.type.empty()) requireTypeName(options.type);
  const StopSignals stop;
  auto ctx = connect(global);
  FollowLoop loop(*ctx.session, "watch", global.zk);

  const auto deadline =
      options.forSeconds
          ? FollowLoop::Clock::now() +
                std::chrono::milliseconds(static_cast<std::int64_t>(*options.forSeconds * 1000))
          : FollowLoop::Clock::time_point::max();
  ReadOptions read;
  if (!options.type.empty()) read.type = options.type;
  read.watches = &loop.watches();

  model::ClusterSnapshot shown;
  std::size_t printed = 0;
  // Ends at --count (Done), --for (Deadline) or SIGINT/SIGTERM (Stopped): all exit 0.
  loop.run(
      [&] {
        auto snapshot = readCluster(*ctx.session, ctx.layout, read);
        for (const auto& line : diffViews(shown, snapshot)) {
          if (options.timestamps) std::cout << formatTime(nowMs()) << " ";
          std::cout << line << "\n";
          if (options.count && ++printed >= *options.count) {
            std::cout << std::flush;
            return true;
          }
        }
        std::cout << std::flush;
        shown = std::move(snapshot);
        return false;
      },
      deadline, &stop);
  return kExitOk;
}

}  // namespace

Command addWatchCommand(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<WatchOptions>();
  auto* sub = app.add_subcommand("watch",
                                 "stream changes: types, instances up/down, master changes, hosts");
  sub->add_option("type", options->type, "only this service type");
  sub->add_option("--for", options->forSeconds, "stop after this many seconds")
      ->check(CLI::PositiveNumber);
  sub->add_option("--count", options->count, "stop after printing this many lines")
      ->check(CLI::PositiveNumber);
  sub->add_flag("--timestamps", options->timestamps, "prefix each line with the time (UTC)");
  sub->footer(
      "First prints the current state as changes from nothing, then one line per change until\n"
      "SIGINT/SIGTERM (exit 0), --for or --count.");
  return {sub, [&global, options] { return runWatch(global, *options); }};
}

}  // namespace sm::ctl

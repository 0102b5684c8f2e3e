#include "manager/ctl/watch_command.hpp"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <optional>

#include <fmt/format.h>

#include "manager/ctl/armed_watches.hpp"
#include "manager/ctl/cli_error.hpp"
#include "manager/ctl/stop_signals.hpp"
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
  const auto signals = stopSignals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  FileDescriptor signalFd(::signalfd(-1, &signals, SFD_CLOEXEC | SFD_NONBLOCK));

  auto watches = std::make_shared<ArmedWatches>();
  auto sessionLost = std::make_shared<std::atomic<bool>>(false);
  auto ctx = connect(global);
  ctx.session->addStateListener([sessionLost, watches](zk::SessionState state) {
    if (state == zk::SessionState::Expired || state == zk::SessionState::AuthFailed)
      *sessionLost = true;
    watches->wake();  // a reconnect may have folded changes together: read again
  });

  using Clock = std::chrono::steady_clock;
  // Clock::time_point::max() when unbounded (an optional trips GCC 12's maybe-uninitialized).
  const auto deadline =
      options.forSeconds
          ? Clock::now() +
                std::chrono::milliseconds(static_cast<std::int64_t>(*options.forSeconds * 1000))
          : Clock::time_point::max();
  ReadOptions read;
  if (!options.type.empty()) read.type = options.type;
  read.watches = watches.get();

  model::ClusterSnapshot shown;
  std::size_t printed = 0;
  for (;;) {
    if (*sessionLost)
      throw operationFailed(fmt::format("watch: the ZooKeeper session at {} expired", global.zk));
    try {
      auto snapshot = readCluster(*ctx.session, ctx.layout, read);
      for (const auto& line : diffViews(shown, snapshot)) {
        if (options.timestamps) std::cout << formatTime(nowMs()) << " ";
        std::cout << line << "\n";
        if (options.count && ++printed >= *options.count) {
          std::cout << std::flush;
          return kExitOk;
        }
      }
      std::cout << std::flush;
      shown = std::move(snapshot);
    } catch (const zk::ZkError& e) {
      if (!e.isConnectionLoss()) throw;
      // Disconnected: reads that failed left no watch. The state listener wakes us when the session
      // is back, and everything is armed again.
      watches->reset();
    }
    int timeoutMs = -1;
    if (options.forSeconds) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return kExitOk;
      timeoutMs = static_cast<int>(left);
    }
    pollfd fds[2] = {{watches->fd(), POLLIN, 0}, {signalFd.get(), POLLIN, 0}};
    const int ready = ::poll(fds, 2, timeoutMs);
    if (ready == 0) return kExitOk;               // --for elapsed
    if (fds[1].revents & POLLIN) return kExitOk;  // SIGINT or SIGTERM
    watches->drain();
  }
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

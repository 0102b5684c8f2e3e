// servicesmgr: the daemon that runs on every host. See docs/ and `servicesmgr --help`.
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstring>
#include <thread>

#include "manager/daemon/daemon.hpp"
#include "manager/daemon/options.hpp"

int main(int argc, char** argv) {
  auto parsed = sm::daemon::parseOptions(argc, argv);
  if (!parsed.options) return parsed.exitCode;
  const auto& options = *parsed.options;

  auto logger = spdlog::stderr_color_mt("servicesmgr");
  logger->set_pattern(fmt::format("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [{}] %v", options.hostId));
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(options.logLevel));

  // Signals are taken by one thread with sigwait, so the daemon's threads never run a handler.
  sigset_t stopSignals;
  sigemptyset(&stopSignals);
  sigaddset(&stopSignals, SIGTERM);
  sigaddset(&stopSignals, SIGINT);
  sigaddset(&stopSignals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);
  // A write to a closed pipe (a child's stdout reader) must not kill the manager.
  signal(SIGPIPE, SIG_IGN);

  sm::daemon::Daemon daemon(options);
  std::atomic<bool> finished{false};
  std::thread signals([&] {
    int signal = 0;
    sigwait(&stopSignals, &signal);
    if (finished) return;
    spdlog::info("received {}: stopping gracefully", strsignal(signal));
    daemon.requestStop();
  });
  const int code = daemon.run();
  // Unblock the signal thread if run() ended on its own.
  finished = true;
  pthread_kill(signals.native_handle(), SIGTERM);
  signals.join();
  return code;
}

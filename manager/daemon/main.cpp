// servicesmgr: the daemon that runs on every host. See docs/ and `servicesmgr --help`.
#include <signal.h>
#include <sys/prctl.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstring>
#include <iostream>
#include <thread>

#include "manager/daemon/daemon.hpp"
#include "manager/daemon/dev_mode.hpp"
#include "manager/daemon/options.hpp"
#include "manager/daemon/session_will.hpp"

namespace {

sigset_t stopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGHUP);
  return set;
}

// Runs the daemon until a stop signal (taken by one thread with sigwait, so the daemon's threads
// never run a handler) or its own end.
int runDaemon(const sm::daemon::DaemonOptions& options) {
  sm::daemon::Daemon daemon(options);
  std::atomic<bool> finished{false};
  std::thread signals([&] {
    const auto set = stopSignals();
    int signal = 0;
    sigwait(&set, &signal);
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

}  // namespace

int main(int argc, char** argv) {
  // The orphan guard's last will, run after this daemon died (session_will.hpp).
  if (argc == 2 && std::strcmp(argv[1], sm::daemon::kCloseSessionArgument) == 0) {
    // Named as what it is (exec'd from /proc/self/exe, it would show as "exe" in ps and /proc).
    prctl(PR_SET_NAME, "sm-last-will");
    return sm::daemon::closeSessionFromWill(std::cin);
  }
  auto parsed = sm::daemon::parseOptions(argc, argv);
  if (!parsed.options) return parsed.exitCode;
  const auto& options = *parsed.options;

  auto logger = spdlog::stderr_color_mt("servicesmgr");
  logger->set_pattern(fmt::format("%Y-%m-%dT%H:%M:%S.%e %^%l%$ [{}] %v", options.hostId));
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(options.logLevel));

  // Blocked before any thread or child starts (threads inherit the mask); a signal that arrives
  // while --dev starts its ZooKeeper waits for the daemon's signal thread.
  const auto set = stopSignals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A write to a closed pipe (a child's stdout reader) must not kill the manager.
  signal(SIGPIPE, SIG_IGN);

  if (options.dev) return sm::daemon::runDevMode(options, runDaemon);
  return runDaemon(options);
}

// sm-demo-service: a managed process that follows its role file and serves its role.
//   sm-demo-service [--poll-ms N] [--listen ADDRESS]
//                                   run (needs SM_ROLE_FILE and SM_PORT_HTTP); SIGUSR1, SIGUSR2 and
//                                   SIGHUP mean "your role changed"; --poll-ms 0 turns re-reading
//                                   off; --listen binds ADDRESS instead of 127.0.0.1 (0.0.0.0 in a
//                                   host's own network namespace, where peers reach it)
//   sm-demo-service --notify ROLE   exec-hook mode: tell the running service to re-read its role
//   file
// A persistent instance (SM_DATA_DIR set) appends "<SM_PHYSICAL_ID> <pid>" to $SM_DATA_DIR/starts
// at each start: its data, which survives restarts, moves and reboots of its manager.
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "services/demo/role_server.hpp"
#include "services/demo/role_tracker.hpp"

using sm::services::demo::RoleServer;
using sm::services::demo::RoleTracker;

namespace {

int requiredPort() {
  const char* port = std::getenv("SM_PORT_HTTP");
  int value = port ? std::atoi(port) : 0;
  if (value <= 0 || value > 65535) {
    std::fprintf(stderr, "sm-demo-service: SM_PORT_HTTP is not set to a port\n");
    std::exit(2);
  }
  return value;
}

// Returns false when the data directory is given but cannot be written.
bool recordStart() {
  const char* dataDir = std::getenv("SM_DATA_DIR");
  if (dataDir == nullptr || *dataDir == '\0') return true;
  const std::string path = std::string(dataDir) + "/starts";
  std::FILE* file = std::fopen(path.c_str(), "a");
  if (file == nullptr) {
    std::fprintf(stderr, "sm-demo-service: cannot write %s: %s\n", path.c_str(),
                 std::strerror(errno));
    return false;
  }
  const char* id = std::getenv("SM_PHYSICAL_ID");
  std::fprintf(file, "%s %d\n", id ? id : "-", getpid());
  const bool ok = std::fflush(file) == 0 && fsync(fileno(file)) == 0;
  return std::fclose(file) == 0 && ok;
}

int run(int pollMs, const std::string& listenAddress) {
  const char* roleFile = std::getenv("SM_ROLE_FILE");
  if (roleFile == nullptr || *roleFile == '\0') {
    std::fprintf(stderr, "sm-demo-service: SM_ROLE_FILE is not set\n");
    return 2;
  }
  sigset_t signals;
  sigemptyset(&signals);
  for (int sig : {SIGUSR1, SIGUSR2, SIGHUP, SIGTERM, SIGINT}) sigaddset(&signals, sig);
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  int signalFd = signalfd(-1, &signals, SFD_CLOEXEC);

  std::string error;
  int listener = RoleServer::listenOn(listenAddress, requiredPort(), error);
  if (listener < 0 || signalFd < 0) {
    std::fprintf(stderr, "sm-demo-service: cannot listen on %s\n", error.c_str());
    return 1;
  }
  if (!recordStart()) return 1;
  RoleTracker tracker(roleFile);
  tracker.refresh("start");
  std::printf("sm-demo-service pid=%d listening on %s:%s\n", getpid(), listenAddress.c_str(),
              std::getenv("SM_PORT_HTTP"));
  std::fflush(stdout);

  for (;;) {
    tracker.checkLease();
    // Wake at the poll interval, and in any case when a master lease runs out.
    std::uint64_t leaseNs = tracker.leaseRemainingNs();
    int timeout = pollMs > 0 ? pollMs : -1;
    if (leaseNs > 0) {
      int leaseMs = static_cast<int>(std::min<std::uint64_t>(leaseNs / 1000000 + 1, 60000));
      timeout = timeout < 0 ? leaseMs : std::min(timeout, leaseMs);
    }
    pollfd fds[2] = {{signalFd, POLLIN, 0}, {listener, POLLIN, 0}};
    int ready = poll(fds, 2, timeout);
    if (ready == 0) {
      if (pollMs > 0) tracker.refresh("poll");
      continue;
    }
    if (fds[0].revents & POLLIN) {
      signalfd_siginfo info{};
      if (read(signalFd, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) {
        if (info.ssi_signo == SIGTERM || info.ssi_signo == SIGINT) {
          std::printf("sm-demo-service pid=%d stopping on %s\n", getpid(),
                      sigabbrev_np(static_cast<int>(info.ssi_signo)));
          std::fflush(stdout);
          return 0;
        }
        tracker.refresh("signal");
      }
    }
    if (fds[1].revents & POLLIN) {
      int client = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (client >= 0) RoleServer::serve(client, tracker);
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  int pollMs = 200;
  std::string listenAddress = "127.0.0.1";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--notify" && i + 1 < argc)
      return sm::services::demo::notifyRunningService(requiredPort(), argv[i + 1]);
    if (arg == "--poll-ms" && i + 1 < argc) {
      pollMs = std::atoi(argv[++i]);
    } else if (arg == "--listen" && i + 1 < argc) {
      listenAddress = argv[++i];
    } else {
      std::fprintf(stderr,
                   "usage: sm-demo-service [--poll-ms N] [--listen ADDRESS] | --notify ROLE\n");
      return 2;
    }
  }
  return run(pollMs, listenAddress);
}

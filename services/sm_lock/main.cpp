// sm-lock NAME [--timeout D] -- COMMAND...: runs COMMAND while holding the cluster-wide lock NAME,
// asked of this process's daemon ($SM_DAEMON_SOCKET). COMMAND gets the fencing token in
// SM_LOCK_TOKEN and the name in SM_LOCK_NAME. Exit: COMMAND's status (128 + signal when killed);
// 75 when the lock was not held within the timeout; 76 when the hold was lost while COMMAND ran
// (COMMAND is sent SIGTERM, then SIGKILL after 5 s); 2 for usage and refused requests.
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "services/lock_client.hpp"

namespace {

constexpr int kUsage = 2;
constexpr int kTimedOut = 75;
constexpr int kLost = 76;
constexpr auto kStopGrace = std::chrono::seconds(5);

int usage(const char* why) {
  std::fprintf(stderr,
               "sm-lock: %s\nusage: sm-lock NAME [--timeout D] -- COMMAND [ARG...]\n"
               "  D: a duration like 500ms, 10s or 2m (default: wait for ever)\n",
               why);
  return kUsage;
}

// "500ms", "10s", "2m", a bare number of seconds.
std::optional<std::chrono::milliseconds> parseDuration(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || value < 0 || end == text.data()) return std::nullopt;
  const std::string_view unit(end, static_cast<std::size_t>(text.data() + text.size() - end));
  if (unit == "ms") return std::chrono::milliseconds(value);
  if (unit == "s" || unit.empty()) return std::chrono::seconds(value);
  if (unit == "m") return std::chrono::minutes(value);
  return std::nullopt;
}

int statusOf(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

// Stops the command: SIGTERM to it, SIGKILL after the grace; returns its wait status.
int stopCommand(pid_t child, int pidfd) {
  ::kill(child, SIGTERM);
  pollfd p{pidfd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(std::chrono::milliseconds(kStopGrace).count())) <= 0) {
    ::kill(child, SIGKILL);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return status;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage("missing NAME");
  const std::string name = argv[1];
  std::chrono::milliseconds timeout(-1);
  int i = 2;
  for (; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg == "--timeout" && i + 1 < argc) {
      auto parsed = parseDuration(argv[++i]);
      if (!parsed) return usage("--timeout: expected a duration like 500ms, 10s or 2m");
      timeout = *parsed;
      continue;
    }
    return usage(("unexpected argument " + std::string(arg)).c_str());
  }
  if (i >= argc) return usage("missing COMMAND after --");

  try {
    sm::services::LockClient client;
    auto hold = client.acquire(name, timeout);
    if (!hold) {
      std::fprintf(stderr, "sm-lock: %s: not held within the timeout\n", name.c_str());
      return kTimedOut;
    }
    const std::string token = std::to_string(hold->token);
    const pid_t child = ::fork();
    if (child < 0) {
      std::perror("sm-lock: fork");
      return 1;
    }
    if (child == 0) {
      ::setenv("SM_LOCK_TOKEN", token.c_str(), 1);
      ::setenv("SM_LOCK_NAME", name.c_str(), 1);
      ::execvp(argv[i], argv + i);
      std::fprintf(stderr, "sm-lock: cannot run %s: %m\n", argv[i]);
      std::_Exit(127);
    }
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, child, 0));
    for (;;) {
      pollfd fds[2] = {{pidfd, POLLIN, 0}, {client.fd(), POLLIN, 0}};
      // Wakes for the command's end, news from the daemon, or the lease's end (waitForChange).
      ::poll(fds, 2, 50);
      if (fds[0].revents != 0) {
        int status = 0;
        ::waitpid(child, &status, 0);
        try {
          client.release(name);
        } catch (const sm::services::LockError&) {
          // Lost at the very end: the command finished anyway; its status stands.
        }
        return statusOf(status);
      }
      const auto ended = client.waitForChange(std::chrono::milliseconds(0));
      if (!ended.empty()) {
        std::fprintf(stderr, "sm-lock: %s: lock lost (%s): stopping the command\n", name.c_str(),
                     client.lostReason(name).c_str());
        stopCommand(child, pidfd);
        return kLost;
      }
    }
  } catch (const sm::services::LockError& e) {
    std::fprintf(stderr, "sm-lock: %s: %s\n", name.c_str(), e.what());
    return kUsage;
  }
}

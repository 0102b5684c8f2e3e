// sm-recipes-demo: the ZooKeeper recipes of the slides (lock, leader election, barrier, queue,
// group membership) with the project's own layer. Each subcommand is one participant; start several
// in different terminals and look at `servicesctl --root ROOT tree` meanwhile.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <iostream>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "examples/recipes/barrier.hpp"
#include "examples/recipes/group_membership.hpp"
#include "examples/recipes/recipe_paths.hpp"
#include "examples/recipes/work_queue.hpp"
#include "manager/zk/election.hpp"
#include "manager/zk/error.hpp"
#include "manager/zk/lock.hpp"
#include "manager/zk/session.hpp"

namespace {

using std::chrono::milliseconds;
using namespace sm;

struct Options {
  std::string zk = "127.0.0.1:2181";
  std::string root = "/recipes-demo";
  std::string name;
  int sessionTimeoutMs = 4000;
};

// Lines come from the main thread and from the session's dispatcher; one at a time, flushed, so a
// reader of a redirected stdout sees each line as it happens.
void say(const std::string& line) {
  static std::mutex mutex;
  std::lock_guard lock(mutex);
  std::cout << line << std::endl;
}

// SIGINT and SIGTERM are blocked in every thread (before the session's threads start) and taken
// here, so that a participant stops cleanly: it releases what it holds, and the others see it.
void blockStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
}

// Waits for SIGINT/SIGTERM, or `forMs` (0: no limit). True when a signal ended the wait.
bool waitForStop(int forMs) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  if (forMs <= 0) {
    int sig = 0;
    sigwait(&set, &sig);
    return true;
  }
  const auto deadline = std::chrono::steady_clock::now() + milliseconds(forMs);
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    timespec wait{static_cast<time_t>(left.count() / 1000000000),
                  static_cast<long>(left.count() % 1000000000)};
    if (sigtimedwait(&set, nullptr, &wait) > 0) return true;
    if (errno != EINTR && errno != EAGAIN) return false;
  }
}

long long elapsedMs(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - since).count();
}

std::shared_ptr<zk::Session> connect(const Options& options) {
  zk::SessionOptions session;
  session.hosts = options.zk;
  session.sessionTimeout = milliseconds(options.sessionTimeoutMs);
  session.connectTimeout = milliseconds(10000);
  return zk::Session::connect(session);
}

int runLock(const Options& options, int holdMs, int timeoutMs) {
  recipes::RecipePaths paths(options.root);
  auto session = connect(options);
  session->ensurePath(paths.lockDir());
  zk::Lock lock(session, paths.lockDir(), {.prefix = "lock-", .data = options.name});
  say(fmt::format("{}: waiting for the lock {}", options.name, paths.lockDir()));
  const auto start = std::chrono::steady_clock::now();
  if (!lock.acquire(milliseconds(timeoutMs))) {
    say(fmt::format("{}: did not get the lock within {} ms", options.name, timeoutMs));
    return 1;
  }
  say(fmt::format("{}: holds the lock as {} after {} ms", options.name, lock.nodePath(),
                  elapsedMs(start)));
  waitForStop(holdMs);
  lock.release();
  say(fmt::format("{}: released the lock", options.name));
  session->close();
  return 0;
}

int runElection(const Options& options, int forMs) {
  recipes::RecipePaths paths(options.root);
  auto session = connect(options);
  session->ensurePath(paths.electionDir());
  const std::string& name = options.name;
  zk::Election election(
      session, paths.electionDir(), name,
      {.onMaster = [&name](int64_t epoch) { say(fmt::format("{}: master, epoch {}", name, epoch)); },
       .onSecondary =
           [&name](const std::string& predecessor) {
             say(fmt::format("{}: secondary, behind {}", name, predecessor));
           },
       .onLost =
           [&name](zk::LossReason reason) {
             say(fmt::format("{}: candidacy lost ({})", name, zk::toString(reason)));
           }});
  election.join();
  say(fmt::format("{}: candidate {}", name, election.nodePath()));
  waitForStop(forMs);
  election.leave();
  say(fmt::format("{}: left the election", name));
  session->close();
  return 0;
}

int runBarrierHold(const Options& options, int forMs) {
  recipes::RecipePaths paths(options.root);
  auto session = connect(options);
  session->ensurePath(paths.recipesDir());
  recipes::Barrier barrier(session, paths.barrier());
  barrier.raise(options.name);
  say(fmt::format("{}: barrier up at {}", options.name, paths.barrier()));
  waitForStop(forMs);
  barrier.lower();
  say(fmt::format("{}: barrier down", options.name));
  session->close();
  return 0;
}

int runBarrierWait(const Options& options, int timeoutMs) {
  recipes::RecipePaths paths(options.root);
  auto session = connect(options);
  recipes::Barrier barrier(session, paths.barrier());
  say(fmt::format("{}: waiting at the barrier {}", options.name, paths.barrier()));
  const auto start = std::chrono::steady_clock::now();
  if (!barrier.waitDown(milliseconds(timeoutMs))) {
    say(fmt::format("{}: the barrier is still up after {} ms", options.name, timeoutMs));
    return 1;
  }
  say(fmt::format("{}: passed the barrier after {} ms", options.name, elapsedMs(start)));
  session->close();
  return 0;
}

int runQueuePut(const Options& options, const std::vector<std::string>& items) {
  recipes::RecipePaths paths(options.root);
  auto session = connect(options);
  session->ensurePath(paths.queueDir());
  recipes::WorkQueue queue(session, paths.queueDir(), recipes::RecipePaths::kQueueItemPrefix);
  for (const auto& item : items) say(fmt::format("queued {}: {}", queue.put(item), item));
  session->close();
  return 0;
}

int runQueueTake(const Options& options, int count, int timeoutMs) {
  recipes::RecipePaths paths(options.root);
  auto session = connect(options);
  session->ensurePath(paths.queueDir());
  recipes::WorkQueue queue(session, paths.queueDir(), recipes::RecipePaths::kQueueItemPrefix);
  for (int taken = 0; taken < count; ++taken) {
    auto item = queue.take(milliseconds(timeoutMs), [&options] {
      say(fmt::format("{}: the queue is empty; waiting", options.name));
    });
    if (!item) {
      say(fmt::format("{}: the queue stayed empty for {} ms", options.name, timeoutMs));
      return 1;
    }
    say(fmt::format("took {}: {}", item->name, item->data));
  }
  session->close();
  return 0;
}

int runGroup(const Options& options, int forMs) {
  recipes::RecipePaths paths(options.root);
  auto session = connect(options);
  session->ensurePath(paths.groupDir());
  recipes::GroupMembership group(
      session, paths.groupDir(), paths.groupMember(options.name),
      [](const recipes::GroupMembership::Change& change) {
        std::string line = fmt::format("members: {}", fmt::join(change.members, ", "));
        if (!change.joined.empty()) line += fmt::format(" (joined: {})", fmt::join(change.joined, ", "));
        if (!change.left.empty()) line += fmt::format(" (left: {})", fmt::join(change.left, ", "));
        say(line);
      });
  try {
    group.join(fmt::format("{{\"pid\":{}}}", ::getpid()));
  } catch (const zk::ZkError& e) {
    if (e.code() != zk::Code::NodeExists) throw;
    say(fmt::format("{}: the name is taken in {}", options.name, paths.groupDir()));
    return 1;
  }
  say(fmt::format("{}: joined as {}", options.name, paths.groupMember(options.name)));
  waitForStop(forMs);
  group.leave();
  say(fmt::format("{}: left the group", options.name));
  session->close();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  blockStopSignals();
  Options options;
  if (const char* zk = std::getenv("SERVICESMGR_ZK")) options.zk = zk;
  options.name = fmt::format("p{}", ::getpid());

  CLI::App app{"The ZooKeeper recipes of the slides with servicesmgr's own layer (manager/zk)."};
  app.require_subcommand(1);
  app.add_option("--zk", options.zk, "ZooKeeper connect string (SERVICESMGR_ZK)");
  app.add_option("--root", options.root, "the recipes live under ROOT/recipes");
  app.add_option("--name", options.name, "this participant's name (default: p<pid>)");
  app.add_option("--session-timeout-ms", options.sessionTimeoutMs, "ZooKeeper session timeout");
  std::string logLevel = "warn";
  app.add_option("--log-level", logLevel, "the layer's own log lines (stderr): info shows each step")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}));
  app.footer("Stop a participant with Ctrl-C (SIGINT) or SIGTERM: it gives up what it holds.");

  int holdMs = 0, forMs = 0, timeoutMs = 30000, count = 1;
  std::vector<std::string> items;
  std::function<int()> run;

  auto* lock = app.add_subcommand("lock", "take the lock, hold it, release it");
  lock->add_option("--hold-ms", holdMs, "hold it this long (0: until Ctrl-C)");
  lock->add_option("--timeout-ms", timeoutMs, "give up waiting after this long");
  lock->callback([&] { run = [&] { return runLock(options, holdMs, timeoutMs); }; });

  auto* election = app.add_subcommand("election", "stand for master; report the role");
  election->add_option("--for-ms", forMs, "stand this long (0: until Ctrl-C)");
  election->callback([&] { run = [&] { return runElection(options, forMs); }; });

  auto* barrier = app.add_subcommand("barrier", "raise a barrier, or wait until it is down");
  barrier->require_subcommand(1);
  auto* hold = barrier->add_subcommand("hold", "raise the barrier; lower it when stopped");
  hold->add_option("--for-ms", forMs, "hold it this long (0: until Ctrl-C)");
  hold->callback([&] { run = [&] { return runBarrierHold(options, forMs); }; });
  auto* wait = barrier->add_subcommand("wait", "wait until the barrier is down");
  wait->add_option("--timeout-ms", timeoutMs, "give up after this long (exit 1)");
  wait->callback([&] { run = [&] { return runBarrierWait(options, timeoutMs); }; });

  auto* queue = app.add_subcommand("queue", "put items into the FIFO queue, or take them");
  queue->require_subcommand(1);
  auto* put = queue->add_subcommand("put", "queue the items, in order");
  put->add_option("items", items, "the items' data")->required();
  put->callback([&] { run = [&] { return runQueuePut(options, items); }; });
  auto* take = queue->add_subcommand("take", "take the oldest items");
  take->add_option("--count", count, "how many");
  take->add_option("--timeout-ms", timeoutMs, "give up after the queue was empty this long");
  take->callback([&] { run = [&] { return runQueueTake(options, count, timeoutMs); }; });

  auto* group = app.add_subcommand("group", "join the group; report who joins and leaves");
  group->add_option("--for-ms", forMs, "stay this long (0: until Ctrl-C)");
  group->callback([&] { run = [&] { return runGroup(options, forMs); }; });

  CLI11_PARSE(app, argc, argv);
  // The recipes' own lines go to stdout; the layer's log lines to stderr, quiet unless asked.
  spdlog::set_default_logger(spdlog::stderr_color_mt("sm-recipes-demo"));
  spdlog::set_level(spdlog::level::from_str(logLevel));
  try {
    return run();
  } catch (const zk::ZkError& e) {
    std::cerr << "sm-recipes-demo: " << e.what() << "\n";
    return 1;
  } catch (const std::invalid_argument& e) {
    std::cerr << "sm-recipes-demo: " << e.what() << "\n";
    return 2;
  }
}

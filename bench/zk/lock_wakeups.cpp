// sm-bench-lock-wakeups: the herd test of the Targets table (invariant I4) as a figure. One holder
// and 20 waiters, each its own session, queue on one zk::Lock against a real server; the holder
// releases, and each waiter releases as soon as it holds. Per release: how many waiters' watches
// fired (zk::Lock::wakeups(), the predecessor-watch callbacks), and the handover time from
// release() to the next holder's acquire() returning (same process, one clock).
#include <atomic>
#include <condition_variable>
#include <iostream>
#include <memory>
#include <mutex>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "bench/common/report.hpp"
#include "manager/zk/lock.hpp"
#include "manager/zk/session.hpp"
#include "manager/zkserver/local_zookeeper.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using sm::bench::Figure;

struct Options {
  int runs = 5;
  int waiters = 20;
  std::string zk;
  std::string output = "bench/results/lock_wakeups.json";
};

std::shared_ptr<sm::zk::Session> open(const std::string& hosts) {
  sm::zk::SessionOptions options;
  options.hosts = hosts;
  return sm::zk::Session::connect(options);
}

template <typename Condition>
bool waitUntil(Condition condition, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (!condition()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

struct RunResult {
  std::vector<double> wakeupsPerRelease;
  std::vector<double> handoverUs;
};

RunResult oneRun(const std::string& hosts, const std::string& dir, int waiterCount) {
  auto admin = open(hosts);
  admin->ensurePath(dir);
  std::vector<std::shared_ptr<sm::zk::Session>> sessions;
  std::vector<std::unique_ptr<sm::zk::Lock>> locks;
  for (int i = 0; i <= waiterCount; ++i) {
    sessions.push_back(open(hosts));
    locks.push_back(std::make_unique<sm::zk::Lock>(sessions.back(), dir));
  }
  if (!locks[0]->acquire(10s)) throw std::runtime_error("the holder did not get the lock");

  // Each waiter, once it holds, records when and hands on at the bench's word, so that stray
  // wake-ups have time to land before the next release is counted.
  std::mutex mutex;
  std::condition_variable changed;
  std::vector<Clock::time_point> heldAt(locks.size()), releasedAt(locks.size());
  std::vector<bool> mayRelease(locks.size(), false);
  // A released lock no longer counts its wake-ups: they are kept here when it releases.
  std::vector<uint64_t> keptWakeups(locks.size(), 0);
  std::vector<bool> released(locks.size(), false);
  auto releaseLock = [&](int i) {
    {
      std::lock_guard lock(mutex);
      keptWakeups[i] = locks[i]->wakeups();
      released[i] = true;
      releasedAt[i] = Clock::now();
    }
    locks[i]->release();
  };
  std::vector<std::thread> threads;
  for (int i = 1; i <= waiterCount; ++i) {
    threads.emplace_back([&, i] {
      if (!locks[i]->acquire(60s)) return;
      std::unique_lock lock(mutex);
      heldAt[i] = Clock::now();
      changed.notify_all();
      changed.wait(lock, [&] { return mayRelease[i]; });
      lock.unlock();
      releaseLock(i);
    });
    // Queue in a known order, one after another.
    if (!waitUntil([&] { return admin->children(dir)->size() == static_cast<size_t>(i) + 1; }, 10s))
      throw std::runtime_error("waiter did not queue");
  }

  auto totalWakeups = [&] {
    std::lock_guard lock(mutex);
    uint64_t sum = 0;
    for (size_t k = 0; k < locks.size(); ++k) sum += released[k] ? keptWakeups[k] : locks[k]->wakeups();
    return sum;
  };
  RunResult result;
  uint64_t before = totalWakeups();
  for (int i = 0; i < waiterCount; ++i) {
    // Lock i releases; waiter i + 1 must be the one to hold it.
    if (i == 0) {
      releaseLock(0);
    } else {
      std::lock_guard lock(mutex);
      mayRelease[i] = true;
      changed.notify_all();
    }
    {
      std::unique_lock lock(mutex);
      if (!changed.wait_for(lock, 30s, [&] { return heldAt[i + 1] != Clock::time_point{}; }))
        throw std::runtime_error(fmt::format("waiter {} never got the lock", i + 1));
    }
    if (i > 0) threads[i - 1].join();  // waiter i has released (its thread ends after release)
    // Every callback already queued on any session has run before the count.
    for (auto& s : sessions) s->drain();
    const uint64_t now = totalWakeups();
    result.wakeupsPerRelease.push_back(static_cast<double>(now - before));
    before = now;
    result.handoverUs.push_back(
        std::chrono::duration<double, std::micro>(heldAt[i + 1] - releasedAt[i]).count());
  }
  {
    std::lock_guard lock(mutex);
    mayRelease[waiterCount] = true;
    changed.notify_all();
  }
  threads.back().join();
  locks.clear();
  admin->removeRecursive(dir);
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"zk::Lock with many waiters: wake-ups per release and handover time"};
  app.add_option("--runs", o.runs, "runs of one holder and --waiters waiters");
  app.add_option("--waiters", o.waiters, "waiters queued behind the holder");
  app.add_option("--zk", o.zk, "use this server instead of starting a private one");
  app.add_option("--output", o.output, "where to write the figures (JSON)");
  CLI11_PARSE(app, argc, argv);

  try {
    std::unique_ptr<sm::zkserver::LocalZooKeeper> server;
    std::string hosts = o.zk;
    if (hosts.empty()) {
      server = std::make_unique<sm::zkserver::LocalZooKeeper>();
      hosts = server->connectString();
    }
    Figure wakeups{"wake-ups per lock release", "wake-ups"};
    Figure handover{"zk::Lock release -> next waiter holds", "us"};
    double maxWakeups = 0, minWakeups = 1e9;
    std::vector<double> allWakeups, allHandovers;
    for (int run = 0; run < o.runs; ++run) {
      auto r = oneRun(hosts, fmt::format("/sm-bench-lock-{}-{}", ::getpid(), run), o.waiters);
      wakeups.addRun(r.wakeupsPerRelease);
      handover.addRun(r.handoverUs);
      for (double w : r.wakeupsPerRelease) {
        maxWakeups = std::max(maxWakeups, w);
        minWakeups = std::min(minWakeups, w);
        allWakeups.push_back(w);
      }
      allHandovers.insert(allHandovers.end(), r.handoverUs.begin(), r.handoverUs.end());
      fmt::print("run {}: wake-ups per release min {:.0f} max {:.0f}; handover p50 {:.0f} us\n",
                 run, minWakeups, maxWakeups, sm::bench::percentile(r.handoverUs, 50));
    }
    sm::bench::Report report;
    report.benchmark = "lock_wakeups";
    report.title = fmt::format("zk::Lock, 1 holder + {} waiters, each its own session", o.waiters);
    report.runs = o.runs;
    report.samplesPerRun = o.waiters;
    report.details["server"] =
        o.zk.empty() ? "private standalone ZooKeeper 3.8 (Debian), forceSync=no" : o.zk;
    report.details["waiters"] = o.waiters;
    report.details["results"] = {{"wakeupsPerRelease",
                                  {{"min", minWakeups},
                                   {"max", maxWakeups},
                                   {"releases", allWakeups.size()},
                                   {"samples", allWakeups},
                                   {"target", "exactly 1"}}},
                                 {"handoverUs",
                                  {{"p50", handover.p50()},
                                   {"p99", handover.p99()},
                                   {"samples", allHandovers}}}};
    report.figures = {&wakeups, &handover};
    sm::bench::publish(report, o.output);
    return minWakeups == 1 && maxWakeups == 1 ? 0 : 2;
  } catch (const std::exception& e) {
    std::cerr << "sm-bench-lock-wakeups: " << e.what() << "\n";
    return 1;
  }
}

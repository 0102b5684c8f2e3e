// sm-bench-locks: a cluster-wide lock lent by the daemons (docs/locks.md) changing hands when its
// holder is SIGKILLed. Two real daemons (h1, h2) on a private server each run one
// sm-lock-test-worker in `hold` mode: each asks its own daemon for the lock "bench" and, once held,
// appends "held <pid> <token> <CLOCK_MONOTONIC ns>" to a shared file. Each round SIGKILLs the
// holder and measures, on this host's monotonic clock, kill -> the other worker holds (its daemon
// saw the holder's connection end, deleted its node, and the waiter's daemon told its worker).
// The killed worker restarts in place and queues again. Each worker is the only replica of its own
// type, pinned to its host: a kill measures the lock's handover alone, not a master failover of a
// service the two workers would share at the same moment. In the same run, the baseline:
// ZooKeeper's delete -> another session's watch. kazoo's Lock with its holder killed waits for the
// session timeout (bench/kazoo/kazoo_handover.py, in kazoo.json): the report sets the two side by
// side.
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench/common/report.hpp"
#include "bench/common/stats.hpp"
#include "bench/daemon/cluster.hpp"
#include "manager/zkserver/local_zookeeper.hpp"
#include "tests/daemon/support/lock_worker_events.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;
namespace bd = sm::bench::daemon;

struct Options {
  int rounds = 100;
  int baselineSamples = 1000;
  int idleBaselineSamples = 100;
  int sessionTimeoutMs = 2000;
  bool quick = false;
  std::string output = "bench/results/locks.json";
};

using sm::test::LockEvent;

// The workers' holds so far (their events file: tests/daemon/support/lock_worker_events.hpp).
std::vector<LockEvent> readHeld(const fs::path& events) {
  auto all = sm::test::readLockEvents(events);
  std::erase_if(all, [](const LockEvent& e) { return e.kind != "held"; });
  return all;
}

std::shared_ptr<sm::zk::Session> openSession(const std::string& hosts) {
  sm::zk::SessionOptions options;
  options.hosts = hosts;
  options.sessionTimeout = 10s;
  return sm::zk::Session::connect(options);
}

// One worker on `host`, the only replica of its own type.
std::string workerYaml(const fs::path& shared, const std::string& host) {
  return fmt::format(
      "apiVersion: servicesmgr/v1\n"
      "kind: ServiceType\n"
      "metadata:\n"
      "  name: LockBench-{}\n"
      "spec:\n"
      "  serviceCount: 1\n"
      "  replicationCount: 1\n"
      "  command: [\"{}\"]\n"
      "  env: {{LOCK_WORKER_MODE: \"hold\", LOCK_WORKER_NAME: \"bench\", LOCK_WORKER_DIR: "
      "\"{}\"}}\n"
      "  constraints:\n"
      "    allowHosts: [\"{}\"]\n"
      "  restart: {{policy: always, backoffInitialMs: 50, backoffMaxMs: 200,\n"
      "            crashLoop: {{failures: 1000, windowSeconds: 60}}}}\n"
      "  stop: {{signal: SIGTERM, timeoutMs: 1000}}\n",
      host, SM_LOCK_WORKER, shared.string(), host);
}

struct Round {
  double handoverMs = 0;  // kill -> the other worker holds
  double deletedMs = -1;  // kill -> the holder's node deleted, as an outside watcher sees it
};

// One round: waits for a holder with a waiter queued behind it, kills the holder.
Round measureRound(sm::zk::Session& session, const std::string& lockDir, const fs::path& events) {
  const auto deadline = Clock::now() + 30s;
  LockEvent holder;
  std::string holderNode;
  std::vector<std::string> lastQueue;
  auto queueSince = Clock::now();
  for (;;) {
    auto held = readHeld(events);
    auto queued = session.children(lockDir);
    if (queued && *queued != lastQueue) {
      lastQueue = *queued;
      queueSince = Clock::now();
    }
    // A waiter's node is in the queue a moment before its daemon has read the queue and watches
    // its predecessor: the holder is killed once the queue has stood still.
    const bool settled = Clock::now() - queueSince >= bd::kSettledBeforeKill;
    if (!held.empty() && queued && queued->size() == 2 && settled &&
        ::kill(static_cast<pid_t>(held.back().pid), 0) == 0) {
      holder = held.back();
      for (const auto& name : *queued) {
        auto parsed = sm::config::Layout::parseLockChildName(name);
        if (parsed && parsed->sequence == holder.token) holderNode = lockDir + "/" + name;
      }
      if (!holderNode.empty()) break;
    }
    if (Clock::now() > deadline) throw std::runtime_error("no holder with a waiter within 30 s");
    std::this_thread::sleep_for(5ms);
  }
  auto deletedNs = std::make_shared<std::atomic<std::uint64_t>>(0);
  session.exists(holderNode, [deletedNs](const sm::zk::WatchEvent&) {
    *deletedNs = sm::services::monotonicNowNs();
  });
  const auto before = readHeld(events).size();
  // Then nothing at all, the bench's own requests included, as before the idle baseline's deletes.
  std::this_thread::sleep_for(bd::kSettledBeforeKill);
  const auto killedNs = sm::services::monotonicNowNs();
  ::kill(static_cast<pid_t>(holder.pid), SIGKILL);
  auto msSinceKill = [killedNs](std::uint64_t ns) {
    return static_cast<double>(static_cast<std::int64_t>(ns - killedNs)) / 1e6;
  };
  for (;;) {
    // The worker stamps its own hold: looking often (or at once) would only take CPU from what is
    // measured.
    std::this_thread::sleep_for(5ms);
    auto held = readHeld(events);
    for (std::size_t i = before; i < held.size(); ++i) {
      if (held[i].pid != holder.pid) {
        if (held[i].token <= holder.token) throw std::runtime_error("the token did not increase");
        Round round;
        round.handoverMs = msSinceKill(held[i].atNs);
        // The watch fired by now, or within a moment (it comes on another thread).
        for (int wait = 0; wait < 100 && *deletedNs == 0; ++wait) std::this_thread::sleep_for(1ms);
        if (*deletedNs != 0) round.deletedMs = msSinceKill(*deletedNs);
        return round;
      }
    }
    if (Clock::now() > deadline + 10s) throw std::runtime_error("no next holder within 10 s");
  }
}

nlohmann::json figure(const std::vector<double>& values) {
  return {{"p50", sm::bench::percentile(values, 50)},
          {"p99", sm::bench::percentile(values, 99)},
          {"samples", values}};
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"a daemon-held lock changing hands when its holder process is SIGKILLed"};
  app.add_flag("--quick", o.quick, "a few rounds");
  app.add_option("--rounds", o.rounds, "kill rounds");
  app.add_option("--session-timeout-ms", o.sessionTimeoutMs, "the daemons' session timeout");
  app.add_option("--output", o.output, "where to write the figures (JSON)");
  CLI11_PARSE(app, argc, argv);
  if (o.quick) {
    o.rounds = std::min(o.rounds, 8);
    o.baselineSamples = 60;
    o.idleBaselineSamples = 10;
  }
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);

  const auto made = bd::makeTempDir("locks");
  if (!made) return 1;
  const fs::path tmp = *made;
  const fs::path shared = tmp / "shared";
  fs::create_directories(shared);
  sm::zkserver::LocalZooKeeperOptions serverOptions;
  std::vector<double> handover;
  std::vector<double> deleted;
  std::vector<double> baseline;
  std::vector<double> idleBaseline;
  std::string error;
  {
    sm::zkserver::LocalZooKeeper zk(serverOptions);
    const std::string hosts = zk.connectString();
    auto session = openSession(hosts);
    const std::string root = fmt::format("/smlocks{}", ::getpid());
    bd::Cluster cluster(bd::DaemonSet{hosts, root, tmp, o.sessionTimeoutMs});
    try {
      fmt::print("baseline: delete -> watch, {} samples\n", o.baselineSamples);
      baseline = bd::watchBaseline(hosts, root + "base", o.baselineSamples, 30);
      fmt::print("baseline: delete -> watch after {} ms idle, {} samples\n",
                 bd::kSettledBeforeKill.count(), o.idleBaselineSamples);
      idleBaseline =
          bd::watchBaseline(hosts, root + "idle", o.idleBaselineSamples, 3, bd::kSettledBeforeKill);
      for (const auto* h : {"h1", "h2"}) cluster.start(h);
      if (!cluster.waitReady(*session, {"h1", "h2"}, 20s)) {
        throw std::runtime_error("daemons not ready:\n" + cluster.logs());
      }
      const auto yaml = tmp / "locks.yaml";
      std::ofstream(yaml) << workerYaml(shared, "h1") << "---\n" << workerYaml(shared, "h2");
      if (bd::runCommand(
              {SM_SERVICESCTL, "--zk", hosts, "--root", root, "apply", "-f", yaml.string()},
              tmp / "apply.log", 30s) != 0) {
        throw std::runtime_error("apply failed: " + bd::lastLines(tmp / "apply.log", 10));
      }
      const auto lockDir = cluster.layout().resourceLock("bench");
      for (int i = 0; i < o.rounds; ++i) {
        const auto round = measureRound(*session, lockDir, shared / "events");
        handover.push_back(round.handoverMs);
        if (round.deletedMs >= 0) deleted.push_back(round.deletedMs);
        fmt::print(
            "round {}: holder SIGKILLed -> its node deleted {:.2f} ms, next holder {:.2f} ms\n", i,
            round.deletedMs, round.handoverMs);
      }
    } catch (const std::exception& e) {
      error = e.what();
      std::cerr << "sm-bench-locks: " << error << "\n" << cluster.logs();
    }
    cluster.stop(20s);
  }
  bd::collectOrphans({}, true);

  auto toMs = [](const std::vector<double>& us) {
    std::vector<double> ms;
    for (double v : us) ms.push_back(v / 1000);
    return ms;
  };
  const auto baselineMs = toMs(baseline);
  const auto idleBaselineMs = toMs(idleBaseline);
  const double p50 = sm::bench::percentile(handover, 50);
  const double baseP50 = sm::bench::percentile(baselineMs, 50);
  const double idleP50 = sm::bench::percentile(idleBaselineMs, 50);
  nlohmann::json out;
  sm::bench::stampRun(out, "locks");
  out["quick"] = o.quick;
  out["sessionTimeoutMs"] = o.sessionTimeoutMs;
  out["tickTimeMs"] = serverOptions.tickTimeMs;
  out["rounds"] = handover.size();
  out["runs"] = 1;  // one cluster; its rounds are the samples
  if (!error.empty()) out["error"] = error;
  out["results"] = {{"holderKilledMs", figure(handover)},
                    {"holderNodeDeletedMs", figure(deleted)},
                    {"zkWatchBaselineMs", figure(baselineMs)},
                    {"zkWatchIdleBaselineMs", figure(idleBaselineMs)},
                    {"idleBeforeMs", bd::kSettledBeforeKill.count()},
                    {"ratioToWatchBaselineP50", baseP50 > 0 ? p50 / baseP50 : 0},
                    {"ratioToWatchIdleBaselineP50", idleP50 > 0 ? p50 / idleP50 : 0},
                    {"target", "p50 <= 2.5x delete->watch p50 of the same run"}};
  fmt::print("{:<52} p50 {:.2f} ms, p99 {:.2f} ms\n", "holder SIGKILLed -> next holder", p50,
             sm::bench::percentile(handover, 99));
  fmt::print("{:<52} p50 {:.2f} ms, p99 {:.2f} ms\n",
             "holder SIGKILLed -> its node deleted (watcher)", sm::bench::percentile(deleted, 50),
             sm::bench::percentile(deleted, 99));
  fmt::print("{:<52} p50 {:.2f} ms, p99 {:.2f} ms\n", "zk delete -> watch (back to back)", baseP50,
             sm::bench::percentile(baselineMs, 99));
  fmt::print("{:<52} p50 {:.2f} ms, p99 {:.2f} ms\n",
             fmt::format("zk delete -> watch (after {} ms idle)", bd::kSettledBeforeKill.count()),
             idleP50, sm::bench::percentile(idleBaselineMs, 99));
  fmt::print("ratio to the baseline p50: {:.2f} back to back, {:.2f} idle (target <= 2.5)\n",
             baseP50 > 0 ? p50 / baseP50 : 0, idleP50 > 0 ? p50 / idleP50 : 0);
  fs::create_directories(fs::path(o.output).parent_path());
  std::ofstream(o.output) << out.dump(2) << "\n";
  fmt::print("written to {}\n", o.output);
  if (error.empty()) fs::remove_all(tmp);
  return error.empty() && !handover.empty() ? 0 : 1;
}

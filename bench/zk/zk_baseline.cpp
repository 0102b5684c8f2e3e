// sm-bench-zk-baseline: the raw ZooKeeper figures on loopback that every later figure is a ratio
// to: synchronous create and delete, a watch notification to another session, a multi of 5 ops.
#include <condition_variable>
#include <iostream>
#include <memory>
#include <mutex>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "bench/common/report.hpp"
#include "manager/zk/session.hpp"
#include "manager/zkserver/local_zookeeper.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using sm::bench::Figure;
using sm::bench::microsSince;
using namespace sm::zk;

struct Options {
  int runs = 5;
  int samples = 1000;
  bool forceSync = false;
  std::string zk;
  std::string output = "bench/results/zk_baseline.json";
};

std::shared_ptr<Session> open(const std::string& hosts) {
  SessionOptions options;
  options.hosts = hosts;
  return Session::connect(options);
}

void createDelete(Session& s, const std::string& root, int n, Figure& create, Figure& remove,
                  Figure& pair) {
  std::vector<double> c, d, p;
  for (int i = 0; i < n; ++i) {
    auto path = fmt::format("{}/n{}", root, i);
    auto start = Clock::now();
    s.create(path, "x");
    c.push_back(microsSince(start));
    auto mid = Clock::now();
    s.remove(path);
    d.push_back(microsSince(mid));
    p.push_back(microsSince(start));
  }
  create.addRun(c);
  remove.addRun(d);
  pair.addRun(p);
}

void exists(Session& s, const std::string& root, int n, Figure& figure) {
  std::vector<double> samples;
  for (int i = 0; i < n; ++i) {
    auto start = Clock::now();
    s.exists(root);
    samples.push_back(microsSince(start));
  }
  figure.addRun(samples);
}

// Session A watches a node, session B deletes it: from B's call to A's callback.
void watchDelay(Session& watcher, Session& writer, const std::string& root, int n, Figure& figure) {
  std::vector<double> samples;
  for (int i = 0; i < n; ++i) {
    auto path = fmt::format("{}/w{}", root, i);
    writer.create(path, "");
    std::mutex mutex;
    std::condition_variable cv;
    bool fired = false;
    Clock::time_point firedAt;
    watcher.exists(path, [&](const WatchEvent&) {
      std::lock_guard lock(mutex);
      firedAt = Clock::now();
      fired = true;
      cv.notify_one();
    });
    auto start = Clock::now();
    writer.remove(path);
    std::unique_lock lock(mutex);
    if (!cv.wait_for(lock, 5s, [&] { return fired; }))
      throw std::runtime_error("watch never fired");
    samples.push_back(std::chrono::duration<double, std::micro>(firedAt - start).count());
  }
  figure.addRun(samples);
}

void multi5(Session& s, const std::string& root, int n, Figure& figure) {
  std::vector<double> samples;
  for (int i = 0; i < n; ++i) {
    std::vector<Op> creates, deletes;
    for (int k = 0; k < 5; ++k) {
      auto path = fmt::format("{}/m{}-{}", root, i, k);
      creates.push_back(Op::create(path, "x"));
      deletes.push_back(Op::remove(path));
    }
    auto start = Clock::now();
    s.multi(creates);
    samples.push_back(microsSince(start));
    s.multi(deletes);
  }
  figure.addRun(samples);
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"Raw ZooKeeper latency on loopback: the baseline for every other benchmark"};
  app.add_option("--runs", o.runs, "runs; each figure is the median of the runs' percentiles");
  app.add_option("--samples", o.samples, "operations per run and figure");
  app.add_flag("--force-sync", o.forceSync, "start the server with forceSync=yes (durable writes)");
  app.add_option("--zk", o.zk, "use this server instead of starting a private one");
  app.add_option("--output", o.output, "where to write the figures (JSON)");
  CLI11_PARSE(app, argc, argv);

  try {
    std::unique_ptr<sm::zkserver::LocalZooKeeper> server;
    std::string hosts = o.zk;
    if (hosts.empty()) {
      sm::zkserver::LocalZooKeeperOptions serverOptions;
      serverOptions.forceSync = o.forceSync;
      server = std::make_unique<sm::zkserver::LocalZooKeeper>(serverOptions);
      hosts = server->connectString();
    }
    auto a = open(hosts);
    auto b = open(hosts);
    const std::string root = "/sm-bench-baseline";
    a->removeRecursive(root);
    a->create(root, "");

    Figure create{"create (persistent)"}, remove{"delete"}, pair{"create + delete"}, read{"exists"},
        watch{"delete -> other session's watch callback"}, multi{"multi of 5 creates"};
    // One warm-up run that is not counted: the server's JIT and the connection settle.
    {
      Figure ignore[3];
      createDelete(*a, root, o.samples, ignore[0], ignore[1], ignore[2]);
    }
    for (int run = 0; run < o.runs; ++run) {
      createDelete(*a, root, o.samples, create, remove, pair);
      exists(*a, root, o.samples, read);
      watchDelay(*a, *b, root, o.samples, watch);
      multi5(*a, root, o.samples / 2, multi);
    }
    a->removeRecursive(root);

    sm::bench::Report report;
    report.benchmark = "zk_baseline";
    report.title = "ZooKeeper baseline on loopback";
    report.runs = o.runs;
    report.samplesPerRun = o.samples;
    report.details["server"] =
        o.zk.empty() ? fmt::format("private standalone ZooKeeper 3.8 (Debian), forceSync={}",
                                   o.forceSync ? "yes" : "no")
                     : o.zk;
    report.figures = {&create, &remove, &pair, &read, &watch, &multi};
    sm::bench::publish(report, o.output);
  } catch (const std::exception& e) {
    std::cerr << "sm-bench-zk-baseline: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

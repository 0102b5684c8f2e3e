// sm-bench-zk-capacity: how many requests a ZooKeeper ensemble serves per second on this machine,
// the capacity docs/scaling.md divides the cluster's load by. A 5-server ensemble (and, for
// comparison, the standalone server every other bench uses), `clients` sessions each on its own
// thread, each issuing synchronous requests back to back for `seconds`:
//   writes: create then delete a small node under the client's own folder (2 writes a loop);
//   reads:  getData of one small node.
// Clients, servers and the bench share the machine's cores, so the figures are a floor for an
// ensemble on machines of its own; they are what the paper model may count on here.
#include <atomic>
#include <fstream>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench/common/report.hpp"
#include "manager/zk/session.hpp"
#include "manager/zkserver/local_zookeeper.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  int servers = 5;
  int clients = 16;
  double seconds = 5;
  bool forceSync = true;
  std::string output = "bench/results/zk_capacity.json";
};

std::shared_ptr<sm::zk::Session> open(const std::string& hosts) {
  sm::zk::SessionOptions options;
  options.hosts = hosts;
  options.sessionTimeout = std::chrono::seconds(20);
  return sm::zk::Session::connect(options);
}

// Runs `clients` threads, each with its own session, calling `work(session, client, loop)` until
// the time is up; returns requests per second (each loop counts `perLoop` requests).
double measure(const std::string& hosts, const Options& o, int perLoop,
               const std::function<void(sm::zk::Session&, int, long)>& work) {
  std::vector<std::shared_ptr<sm::zk::Session>> sessions;
  for (int c = 0; c < o.clients; ++c) sessions.push_back(open(hosts));
  std::atomic<bool> go{false}, stop{false};
  std::atomic<long> loops{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < o.clients; ++c) {
    threads.emplace_back([&, c] {
      while (!go) std::this_thread::yield();
      long mine = 0;
      while (!stop) work(*sessions[c], c, mine++);
      loops += mine;
    });
  }
  const auto start = Clock::now();
  go = true;
  std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));  // the measured span
  stop = true;
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  return static_cast<double>(loops.load()) * perLoop / elapsed;
}

nlohmann::json measureServer(const std::string& hosts, const Options& o, const std::string& name) {
  auto admin = open(hosts);
  const std::string root = "/capacity";
  admin->ensurePath(root);
  for (int c = 0; c < o.clients; ++c) admin->ensurePath(fmt::format("{}/c{}", root, c));
  admin->create(root + "/read", std::string(100, 'x'));
  fmt::print("{}: writes, {} clients, {} s\n", name, o.clients, o.seconds);
  const double writes = measure(hosts, o, 2, [&](sm::zk::Session& s, int c, long i) {
    const auto path = fmt::format("{}/c{}/n{}", root, c, i);
    s.create(path, std::string(100, 'x'));
    s.remove(path);
  });
  fmt::print("{}: reads, {} clients, {} s\n", name, o.clients, o.seconds);
  const double reads = measure(hosts, o, 1, [&](sm::zk::Session& s, int, long) {
    s.get(root + "/read");
  });
  admin->removeRecursive(root);
  fmt::print("{}: {:.0f} writes/s, {:.0f} reads/s\n", name, writes, reads);
  return {{"server", name}, {"writesPerSecond", writes}, {"readsPerSecond", reads}};
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"ZooKeeper's capacity on this machine: writes and reads per second"};
  app.add_option("--servers", o.servers, "ensemble size")->check(CLI::Range(3, 7));
  app.add_option("--clients", o.clients, "sessions, one thread each")->check(CLI::Range(1, 256));
  app.add_option("--seconds", o.seconds, "per measurement")->check(CLI::Range(0.5, 600.0));
  app.add_flag("!--no-force-sync", o.forceSync, "forceSync=no (faster, not durable)");
  app.add_option("--output", o.output, "where to write the figures (JSON)");
  CLI11_PARSE(app, argc, argv);

  sm::zkserver::LocalZooKeeperOptions serverOptions;
  serverOptions.forceSync = o.forceSync;
  nlohmann::json results = nlohmann::json::array();
  {
    sm::zkserver::LocalZooKeeper standalone(serverOptions);
    results.push_back(measureServer(standalone.connectString(), o, "standalone"));
  }
  {
    sm::zkserver::LocalEnsemble ensemble(static_cast<size_t>(o.servers), serverOptions);
    if (!ensemble.waitQuorum(std::chrono::seconds(60))) {
      std::cerr << "sm-bench-zk-capacity: the ensemble has no quorum after 60 s\n";
      return 1;
    }
    results.push_back(
        measureServer(ensemble.connectString(), o, fmt::format("{}-server ensemble", o.servers)));
  }
  nlohmann::json out;
  sm::bench::stampRun(out, "zk_capacity");
  out["clients"] = o.clients;
  out["seconds"] = o.seconds;
  out["forceSync"] = o.forceSync;
  out["servers"] = o.servers;
  out["results"] = results;
  std::ofstream(o.output) << out.dump(2) << "\n";
  fmt::print("written to {}\n", o.output);
  return 0;
}

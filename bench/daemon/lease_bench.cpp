// sm-bench-lease: the figures behind the master lease's timing argument (docs/daemon.md, I1). Three
// real daemons on a private server run one logical service of three replicas, one per host. Each
// round freezes (SIGSTOP) the master's daemon, so nobody can tell its process anything, and
// measures from the freeze, on this host's monotonic clock:
//   - lease lapse: when the frozen master's role file stops saying master (its lease deadline);
//   - expiry seen: when an outside watcher sees the frozen daemon's host node deleted (the server
//     expired its session);
//   - successor: when another instance's role file says master with a higher epoch;
//   - margin: successor - lease lapse, the time during which nobody is master; it must be > 0;
// then thaws it and measures how long the daemon takes, after SIGCONT, to deal with its old process
// (registered again or stopped: "recovery after thaw"). Medians and extremes over the rounds.
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench/common/report.hpp"
#include "bench/common/stats.hpp"
#include "bench/daemon/cluster.hpp"
#include "manager/zkserver/local_zookeeper.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
namespace fs = std::filesystem;
namespace bd = sm::bench::daemon;

struct Options {
  int rounds = 6;
  int sessionTimeoutMs = 2000;
  bool quick = false;
  std::string output = "bench/results/lease.json";
};

double msSince(std::uint64_t startNs, std::uint64_t nowNs) {
  return static_cast<double>(static_cast<std::int64_t>(nowNs - startNs)) / 1e6;
}

struct Round {
  double lapseMs = 0, expiryMs = 0, successorMs = 0, marginMs = 0, recoveryMs = 0;
};

std::vector<bd::Logical> converged(bd::Reader& reader, bd::Cluster& cluster, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string problem;
  while (Clock::now() < deadline) {
    auto state = bd::readType(reader, cluster.layout(), "Lease", nullptr);
    problem = bd::convergenceProblem(state, 1, 3, cluster);
    if (problem.empty()) return state;
    std::this_thread::sleep_for(10ms);
  }
  throw std::runtime_error("not converged: " + problem + "\n" + cluster.logs());
}

Round measureRound(bd::Reader& reader, bd::Cluster& cluster, sm::zk::Session& session) {
  const auto state = converged(reader, cluster, 60s);
  const auto& logical = state.at(0);
  const auto& master = logical.instances.at(logical.election.at(0).physical);
  const std::int64_t oldEpoch = logical.election.at(0).sequence;
  const auto hostPath = cluster.layout().host(master.host);
  std::vector<bd::Instance> others;
  for (const auto& [uuid, i] : logical.instances) {
    if (uuid != master.uuid) others.push_back(i);
  }

  std::atomic<std::uint64_t> expiryNs{0};
  session.exists(hostPath,
                 [&](const sm::zk::WatchEvent&) { expiryNs = sm::services::monotonicNowNs(); });
  const auto frozenNs = sm::services::monotonicNowNs();
  cluster.daemon(master.host).signal(SIGSTOP);
  std::uint64_t lapseNs = 0, successorNs = 0;
  while (!successorNs) {
    const auto now = sm::services::monotonicNowNs();
    if (!lapseNs) {
      auto role = cluster.role(master.host, master.uuid);
      if (role && !sm::services::isMasterNow(*role, now)) {
        // The deadline itself when it passed (the file was not rewritten: its manager is frozen).
        lapseNs = role->leaseUntilMonoNs != 0 && role->leaseUntilMonoNs < now
                      ? role->leaseUntilMonoNs
                      : now;
      }
    }
    for (const auto& other : others) {
      auto role = cluster.role(other.host, other.uuid);
      if (role && sm::services::isMasterNow(*role, now) && role->epoch > oldEpoch) {
        successorNs = now;
      }
    }
    if (msSince(frozenNs, now) > 20000) {
      cluster.daemon(master.host).signal(SIGCONT);
      throw std::runtime_error("no successor 20 s after freezing the master's daemon");
    }
    std::this_thread::sleep_for(200us);
  }
  Round r;
  r.lapseMs = msSince(frozenNs, lapseNs);
  r.successorMs = msSince(frozenNs, successorNs);
  r.marginMs = r.successorMs - r.lapseMs;
  r.expiryMs = expiryNs ? msSince(frozenNs, expiryNs) : -1;

  // Thawed: its old process is registered again (same pid in the tree) or stopped.
  const auto thawNs = sm::services::monotonicNowNs();
  cluster.daemon(master.host).signal(SIGCONT);
  while (true) {
    const auto now = sm::services::monotonicNowNs();
    bool registered = false;
    for (const auto& l : bd::readType(reader, cluster.layout(), "Lease", nullptr)) {
      for (const auto& [uuid, i] : l.instances) registered |= i.pid == master.pid;
    }
    const bool alive = ::kill(static_cast<pid_t>(master.pid), 0) == 0 &&
                       fs::exists(fmt::format("/proc/{}", master.pid));
    if (registered || !alive) {
      r.recoveryMs = msSince(thawNs, now);
      break;
    }
    if (msSince(thawNs, now) > 20000) throw std::runtime_error("no recovery 20 s after the thaw");
    std::this_thread::sleep_for(1ms);
  }
  return r;
}

nlohmann::json figure(const std::string& name, const std::vector<double>& values) {
  return {{"name", name},
          {"unit", "ms"},
          {"median", sm::bench::median(values)},
          {"min", values.empty() ? 0 : *std::min_element(values.begin(), values.end())},
          {"max", values.empty() ? 0 : *std::max_element(values.begin(), values.end())},
          {"samples", values}};
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"the master lease under a frozen manager: lapse, expiry, successor, margin"};
  app.add_flag("--quick", o.quick, "two rounds");
  app.add_option("--rounds", o.rounds, "freeze rounds");
  app.add_option("--session-timeout-ms", o.sessionTimeoutMs, "the daemons' session timeout");
  app.add_option("--output", o.output, "where to write the figures (JSON)");
  CLI11_PARSE(app, argc, argv);
  if (o.quick) o.rounds = std::min(o.rounds, 2);
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);

  const auto made = bd::makeTempDir("lease");
  if (!made) return 1;
  const fs::path tmp = *made;
  sm::zkserver::LocalZooKeeperOptions serverOptions;
  std::vector<Round> rounds;
  std::string error;
  {
    sm::zkserver::LocalZooKeeper zk(serverOptions);
    sm::zk::SessionOptions so;
    so.hosts = zk.connectString();
    auto session = sm::zk::Session::connect(so);
    const std::string root = fmt::format("/smlease{}", ::getpid());
    bd::Cluster cluster(bd::DaemonSet{so.hosts, root, tmp, o.sessionTimeoutMs});
    try {
      for (const auto* h : {"h1", "h2", "h3"}) cluster.start(h);
      if (!cluster.waitReady(*session, {"h1", "h2", "h3"}, 20s)) {
        throw std::runtime_error("daemons not ready:\n" + cluster.logs());
      }
      const auto yaml = tmp / "lease.yaml";
      std::ofstream(yaml) << bd::demoTypeYaml("Lease", 1, 3, 1, 1000);
      if (bd::runCommand(
              {SM_SERVICESCTL, "--zk", so.hosts, "--root", root, "apply", "-f", yaml.string()},
              tmp / "apply.log", 30s) != 0) {
        throw std::runtime_error("apply failed: " + bd::lastLines(tmp / "apply.log", 10));
      }
      bd::Reader reader(session);
      for (int i = 0; i < o.rounds; ++i) {
        rounds.push_back(measureRound(reader, cluster, *session));
        const auto& r = rounds.back();
        fmt::print(
            "round {}: lease lapsed {:.0f} ms, expiry seen {:.0f} ms, successor {:.0f} ms after "
            "the freeze (margin {:.0f} ms); recovery {:.0f} ms after the thaw\n",
            i, r.lapseMs, r.expiryMs, r.successorMs, r.marginMs, r.recoveryMs);
      }
      converged(reader, cluster, 60s);
    } catch (const std::exception& e) {
      error = e.what();
      std::cerr << "sm-bench-lease: " << error << "\n";
    }
    cluster.stop(20s);
  }
  bd::collectOrphans({}, true);

  std::vector<double> lapse, expiry, successor, margin, recovery;
  for (const auto& r : rounds) {
    lapse.push_back(r.lapseMs);
    expiry.push_back(r.expiryMs);
    successor.push_back(r.successorMs);
    margin.push_back(r.marginMs);
    recovery.push_back(r.recoveryMs);
  }
  nlohmann::json out;
  sm::bench::stampRun(out, "lease");
  out["sessionTimeoutMs"] = o.sessionTimeoutMs;
  out["tickTimeMs"] = serverOptions.tickTimeMs;
  out["leaseMs"] = o.sessionTimeoutMs * 3 / 4;
  out["renewEveryMs"] = o.sessionTimeoutMs / 4;
  out["rounds"] = rounds.size();
  out["runs"] = 1;  // one cluster; its rounds are the samples
  if (!error.empty()) out["error"] = error;
  out["figures"] = {figure("freeze -> master's lease lapsed", lapse),
                    figure("freeze -> session expiry seen by a watcher", expiry),
                    figure("freeze -> successor's role file says master", successor),
                    figure("margin: successor - lease lapse (nobody master)", margin),
                    figure("thaw -> old process registered again or stopped", recovery)};
  fmt::print("{:<52} {:>8} {:>8} {:>8}\n", "figure (ms)", "median", "min", "max");
  for (const auto& f : out["figures"]) {
    fmt::print("{:<52} {:>8.0f} {:>8.0f} {:>8.0f}\n", f["name"].get<std::string>(),
               f["median"].get<double>(), f["min"].get<double>(), f["max"].get<double>());
  }
  fs::create_directories(fs::path(o.output).parent_path());
  std::ofstream(o.output) << out.dump(2) << "\n";
  fmt::print("written to {}\n", o.output);
  if (error.empty()) fs::remove_all(tmp);
  const bool safe = !margin.empty() && *std::min_element(margin.begin(), margin.end()) > 0;
  return error.empty() && safe ? 0 : 1;
}

// sm-bench-promotion: what spec.promotion costs a failover, on a private ZooKeeper server and
// three real `servicesmgr` daemons (h1 h2 h3) run as children of the bench. In one run:
//   1. without promotion: SIGKILL of the master process -> successor's role file says master;
//   2. the same type with promotion (every member scores the same: no lagging replica, so the
//      next in line keeps its turn once it has every score, or after waitMs);
//   3. the score hook's own time (fork/exec of it alone), for the bound hook + waitMs + 5 ms.
// A role-file sampler runs through the promotion rounds: no instant with two leased masters.
#include <signal.h>
#include <spawn.h>
#include <sys/prctl.h>
#include <fcntl.h>
#include <sys/wait.h>

#include <fstream>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "bench/common/report.hpp"
#include "bench/daemon/cluster.hpp"
#include "manager/zkserver/local_zookeeper.hpp"
#include "tests/daemon/support/demo_type.hpp"
#include "tests/daemon/support/master_sampler.hpp"

extern char** environ;

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
namespace fs = std::filesystem;
namespace bd = sm::bench::daemon;

struct Options {
  bool quick = false;
  int rounds = 100;
  int waitMs = 300;
  int hookSamples = 50;
  int sessionTimeoutMs = 2000;
  std::string output = "bench/results/promotion.json";
};

const std::vector<std::string> kScoreHook = {"/bin/sh", "-c", "echo 42"};

double msBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

std::string typeYaml(const std::string& name, bool promotion, int waitMs) {
  sm::test::DemoType type;
  type.name = name;
  type.constraints = "    maxPerHost: 1\n";
  type.stopTimeoutMs = 1000;
  type.crashLoop = "{failures: 1000000, windowSeconds: 1}";
  if (promotion) {
    type.promotion = fmt::format(
        "{{score: {{exec: [\"{}\", \"{}\", \"{}\"], timeoutMs: 500}}, "
        "waitMs: {}}}",
        kScoreHook[0], kScoreHook[1], kScoreHook[2], waitMs);
  }
  return type.yaml();
}

std::vector<bd::Logical> waitConverged(bd::Reader& reader, bd::Cluster& cluster,
                                       const std::string& type, milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  std::string problem;
  while (true) {
    std::vector<std::string> problems;
    auto state = bd::readType(reader, cluster.layout(), type, &problems);
    problem = bd::convergenceProblem(state, 1, 3, cluster);
    if (problem.empty() && !problems.empty()) problem = problems.front();
    if (problem.empty()) return state;
    if (Clock::now() >= deadline) {
      throw std::runtime_error(fmt::format("{} did not converge within {} ms: {}\n{}", type,
                                           timeout.count(), problem, cluster.logs()));
    }
    std::this_thread::sleep_for(5ms);
  }
}

// Kill of the master process -> some other instance's role file says master with a higher epoch
// (polled every 0.2 ms: the bench is the only busy thing here). Milliseconds, nullopt after 10 s.
std::optional<double> failover(bd::Cluster& cluster, const bd::Logical& logical,
                               std::string* newMasterHost) {
  const auto& master = logical.instances.at(logical.election.at(0).physical);
  const auto epoch = logical.election.at(0).sequence;
  std::vector<std::pair<std::string, std::string>> others;  // host, uuid
  for (const auto& [uuid, instance] : logical.instances) {
    if (uuid != master.uuid) others.emplace_back(instance.host, uuid);
  }
  const auto start = Clock::now();
  ::kill(static_cast<pid_t>(master.pid), SIGKILL);
  while (Clock::now() - start < 10s) {
    for (const auto& [host, uuid] : others) {
      auto role = cluster.role(host, uuid);
      if (role && role->role == sm::services::Role::Master && role->epoch > epoch) {
        *newMasterHost = host;
        return msBetween(start, Clock::now());
      }
    }
    std::this_thread::sleep_for(200us);
  }
  return std::nullopt;
}

struct Phase {
  std::vector<double> ms;
  int timeouts = 0;
  int nextInLine = 0;  // rounds where the next in line became master
};

Phase runPhase(bd::Cluster& cluster, bd::Reader& reader, const std::string& type, int rounds) {
  Phase phase;
  for (int round = 0; round < rounds; ++round) {
    auto state = waitConverged(reader, cluster, type, 30s);
    const auto& logical = state.at(0);
    const auto next = logical.instances.at(logical.election.at(1).physical).host;
    std::string host;
    auto ms = failover(cluster, logical, &host);
    if (!ms) {
      ++phase.timeouts;
      fmt::print("  round {}: no takeover within 10 s\n", round);
      continue;
    }
    phase.ms.push_back(*ms);
    phase.nextInLine += host == next ? 1 : 0;
    if (round % 10 == 0) fmt::print("  round {}: {:.2f} ms\n", round, *ms);
  }
  return phase;
}

// The score hook alone: posix_spawn -> reaped, in ms.
std::vector<double> hookTimes(int samples) {
  std::vector<double> out;
  std::vector<char*> argv;
  for (const auto& a : kScoreHook) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  for (int i = 0; i < samples; ++i) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    const auto start = Clock::now();
    pid_t pid = 0;
    if (posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ) == 0) {
      int status = 0;
      ::waitpid(pid, &status, 0);
      out.push_back(msBetween(start, Clock::now()));
    }
    posix_spawn_file_actions_destroy(&actions);
  }
  return out;
}

nlohmann::json summary(const Phase& p, int rounds) {
  using sm::bench::percentile;
  return {{"rounds", rounds},
          {"timeouts", p.timeouts},
          {"nextInLine", p.nextInLine},
          {"p50", percentile(p.ms, 50)},
          {"p99", percentile(p.ms, 99)},
          {"max", p.ms.empty() ? 0 : *std::max_element(p.ms.begin(), p.ms.end())},
          {"samples", p.ms}};
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"servicesmgr: failover with and without spec.promotion"};
  app.add_flag("--quick", o.quick, "10 rounds each");
  app.add_option("--rounds", o.rounds, "master process SIGKILL rounds per phase");
  app.add_option("--wait-ms", o.waitMs, "spec.promotion.waitMs");
  app.add_option("--session-timeout-ms", o.sessionTimeoutMs, "the daemons' session timeout");
  app.add_option("--output", o.output, "where to write the figures (JSON)");
  CLI11_PARSE(app, argc, argv);
  if (o.quick) o.rounds = std::min(o.rounds, 10);
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);
  const auto made = bd::makeTempDir("promotion");
  if (!made) return 1;
  const fs::path tmp = *made;
  fmt::print("temporary folder: {}\n", tmp.string());

  nlohmann::json out;
  int code = 0;
  try {
    sm::zkserver::LocalZooKeeper zk{sm::zkserver::LocalZooKeeperOptions{}};
    sm::zk::SessionOptions sessionOptions;
    sessionOptions.hosts = zk.connectString();
    auto session = sm::zk::Session::connect(sessionOptions);
    bd::Reader reader(session);
    const std::string root = fmt::format("/smbp{}", ::getpid());
    bd::Cluster cluster(
        bd::DaemonSet{zk.connectString(), root, tmp / "cluster", o.sessionTimeoutMs});
    for (const auto* h : {"h1", "h2", "h3"}) cluster.start(h);
    if (!cluster.waitReady(*session, {"h1", "h2", "h3"}, 20s)) {
      throw std::runtime_error("daemons not ready:\n" + cluster.logs());
    }
    auto apply = [&](const std::string& name, bool promotion) {
      const auto yaml = tmp / (name + ".yaml");
      std::ofstream(yaml) << typeYaml(name, promotion, o.waitMs);
      if (int rc = bd::runCommand({SM_SERVICESCTL, "--zk", zk.connectString(), "--root", root,
                                   "apply", "-f", yaml.string()},
                                  tmp / "apply.log", 30s);
          rc != 0) {
        throw std::runtime_error(bd::lastLines(tmp / "apply.log", 20));
      }
    };
    apply("Plain", false);
    fmt::print("without promotion: {} rounds\n", o.rounds);
    const auto plain = runPhase(cluster, reader, "Plain", o.rounds);
    bd::runCommand({SM_SERVICESCTL, "--zk", zk.connectString(), "--root", root, "delete", "Plain"},
                   tmp / "delete.log", 30s);

    apply("Promoted", true);
    std::vector<fs::path> workDirs;
    for (const auto* h : {"h1", "h2", "h3"}) workDirs.push_back(cluster.workDir(h));
    sm::test::MasterSampler sampler(session, cluster.layout(), workDirs);
    fmt::print("with promotion (waitMs {}): {} rounds\n", o.waitMs, o.rounds);
    const auto promoted = runPhase(cluster, reader, "Promoted", o.rounds);
    waitConverged(reader, cluster, "Promoted", 30s);
    sampler.stop();
    const auto violations = sampler.violations();
    const auto hook = hookTimes(o.hookSamples);
    cluster.stop(20s);

    using sm::bench::percentile;
    const double hookP50 = percentile(hook, 50);
    out["benchmark"] = "promotion";
    out["machine"] = sm::bench::machineDescription();
    out["time"] = sm::bench::utcNow();
    out["quick"] = o.quick;
    out["daemons"] =
        fmt::format("3 servicesmgr (h1 h2 h3), --session-timeout-ms {}", o.sessionTimeoutMs);
    out["scoreHook"] = fmt::format("{}", fmt::join(kScoreHook, " "));
    out["waitMs"] = o.waitMs;
    out["results"] = {{"withoutPromotionMs", summary(plain, o.rounds)},
                      {"withPromotionMs", summary(promoted, o.rounds)},
                      {"scoreHookMs",
                       {{"samples", hook.size()}, {"p50", hookP50}, {"p99", percentile(hook, 99)}}},
                      {"boundMs", hookP50 + o.waitMs + 5},
                      {"twoLeasedMasters", violations.size()},
                      {"samplerSamples", sampler.samples()}};
    fmt::print("without promotion: p50 {:.2f} ms p99 {:.2f} ms ({} timeouts)\n",
               percentile(plain.ms, 50), percentile(plain.ms, 99), plain.timeouts);
    fmt::print(
        "with promotion:    p50 {:.2f} ms p99 {:.2f} ms ({} timeouts, next in line {} of "
        "{})\n",
        percentile(promoted.ms, 50), percentile(promoted.ms, 99), promoted.timeouts,
        promoted.nextInLine, promoted.ms.size());
    fmt::print("score hook alone p50 {:.2f} ms; bound hook + waitMs + 5 = {:.1f} ms\n", hookP50,
               hookP50 + o.waitMs + 5);
    fmt::print("two leased masters at once: {} ({} samples)\n", violations.size(),
               sampler.samples());
    if (!violations.empty() || promoted.timeouts > 0 || plain.timeouts > 0) code = 1;
  } catch (const std::exception& e) {
    fmt::print("FAILED: {}\n", e.what());
    out["errors"] = {e.what()};
    code = 1;
  }
  const auto parent = fs::path(o.output).parent_path();
  if (!parent.empty()) fs::create_directories(parent);
  std::ofstream(o.output) << out.dump(2) << "\n";
  fmt::print("written to {}\n", o.output);
  if (code == 0) fs::remove_all(tmp);
  return code;
}

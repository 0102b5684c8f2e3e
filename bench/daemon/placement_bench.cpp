// sm-bench-placement: what one placement costs ZooKeeper as the number of hosts grows. For each
// host count (3, 10, 30, 100 `servicesmgr` daemons on this one machine, a fresh root each time) a
// type is applied (20 logical services x 3 replicas, maxPerHost 1), then scaled to 40 logical
// services; the server's per-namespace counters (mntr) are read around each, from the counters
// being still before to their being still after convergence. servicesctl apply's own requests and
// the bench's counted reads of the tree are subtracted; what is left, divided by the 60 instances
// each step places, is the cost per placement. The target, on the scale-up: flat within 20 % from
// 3 to 100 hosts. The first apply also carries what a new type costs once (every manager learns
// of it, its monitor holder reads every host): reported beside it, per host.
#include <sys/prctl.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "bench/common/report.hpp"
#include "bench/daemon/cluster.hpp"
#include "manager/zkserver/local_zookeeper.hpp"

namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
namespace fs = std::filesystem;
namespace bd = sm::bench::daemon;

// The first apply places kServices x kReplicas; the scale-up as many again.
constexpr int kServices = 20, kReplicas = 3, kInstances = kServices * kReplicas;
const std::string kType = "Placement";

struct Options {
  bool quick = false;
  std::vector<int> hostCounts{3, 10, 30};
  int runs = 3;
  int sessionTimeoutMs = 2000;
  int idleSeconds = 5;
  bool keep = false;
  std::string output = "bench/results/placement.json";
};

double msBetween(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

int apply(const std::string& hosts, const std::string& root, const fs::path& yaml,
          const fs::path& log) {
  return bd::runCommand(
      {SM_SERVICESCTL, "--zk", hosts, "--root", root, "apply", "-f", yaml.string()}, log, 30s);
}

// The cost of one step (an apply and its convergence).
struct Step {
  double convergeMs = 0;
  long long writes = 0, reads = 0, benchReads = 0;
  double writesPerPlacement = 0, readsPerPlacement = 0, requestsPerPlacement = 0;
};

struct Run {
  int hostCount = 0;
  Step first;  // the type applied: its placements and what a new type costs once
  Step scale;  // the type scaled up: placements alone (the figure)
  long rssKbTotal = 0;
  std::map<std::string, int> instancesPerHost;
  // The converged cluster left alone: requests under the root per second, the daemons' CPU.
  double idleRequestsPerSecond = 0;
  double idleCpuPercentTotal = 0, idleCpuPercentMax = 0;
};

// The converged cluster left alone for `span`: it should ask ZooKeeper for nothing under its root.
void measureIdle(bd::Cluster& cluster, const std::vector<std::string>& ids, int port,
                 const std::string& ns, std::chrono::seconds span, Run& r) {
  std::vector<long long> cpu0;
  for (const auto& h : ids) cpu0.push_back(bd::cpuTicks(cluster.daemon(h).pid()));
  const auto c0 = bd::namespaceCounters(port, ns);
  const auto start = Clock::now();
  std::this_thread::sleep_for(span);  // the measured span
  const auto c1 = bd::namespaceCounters(port, ns);
  const double seconds = msBetween(start, Clock::now()) / 1000.0;
  r.idleRequestsPerSecond =
      static_cast<double>(c1.reads - c0.reads + c1.writes - c0.writes) / seconds;
  const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
  for (size_t k = 0; k < ids.size(); ++k) {
    const auto used = bd::cpuTicks(cluster.daemon(ids[k]).pid()) - cpu0[k];
    const double percent = 100.0 * static_cast<double>(used) / ticks / seconds;
    r.idleCpuPercentTotal += percent;
    r.idleCpuPercentMax = std::max(r.idleCpuPercentMax, percent);
  }
}

// The two type files and what servicesctl apply alone costs with each.
struct Yamls {
  fs::path first, scale;
};
struct ApplyCosts {
  bd::NamespaceCounters first, scale;
};

// Applies `yaml` to a cluster whose counters are still, waits for `services` x kReplicas instances
// and for the counters to be still again, and returns what the daemons asked of ZooKeeper.
Step measureStep(bd::Cluster& cluster, const std::string& hosts, int port, const std::string& ns,
                 const std::shared_ptr<sm::zk::Session>& session, const fs::path& yaml,
                 bd::NamespaceCounters applyCost, int services, const fs::path& log, Run& r) {
  Step step;
  const auto before = bd::settle(port, ns, 500ms, 10s);
  bd::Reader reader(session);
  const auto start = Clock::now();
  if (int rc = apply(hosts, cluster.layout().root(), yaml, log); rc != 0) {
    throw std::runtime_error(
        fmt::format("servicesctl apply exited {}:\n{}", rc, bd::lastLines(log, 20)));
  }
  const auto deadline = start + 120s;
  const auto layout = cluster.layout();
  // The tree is read every 200 ms: the bench's own reads are counted and subtracted, and fewer
  // of them disturb the daemons less.
  while (true) {
    auto state = bd::readType(reader, layout, kType, nullptr);
    auto problem = bd::convergenceProblem(state, services, kReplicas, cluster);
    if (problem.empty()) {
      step.convergeMs = msBetween(start, Clock::now());
      r.instancesPerHost.clear();
      for (const auto& l : state) {
        for (const auto& [uuid, i] : l.instances) ++r.instancesPerHost[i.host];
      }
      break;
    }
    if (Clock::now() > deadline) {
      throw std::runtime_error(fmt::format("{} hosts: not converged 120 s after {}: {}\n{}",
                                           r.hostCount, yaml.filename().string(), problem,
                                           cluster.logs(10)));
    }
    std::this_thread::sleep_for(200ms);
  }
  const auto after = bd::settle(port, ns, 1000ms, 15s);
  step.benchReads = reader.reads();
  step.writes = after.writes - before.writes - applyCost.writes;
  step.reads = after.reads - before.reads - applyCost.reads - step.benchReads;
  step.writesPerPlacement = static_cast<double>(step.writes) / kInstances;
  step.readsPerPlacement = static_cast<double>(step.reads) / kInstances;
  step.requestsPerPlacement = static_cast<double>(step.writes + step.reads) / kInstances;
  return step;
}

Run placementRun(const std::string& hosts, sm::zkserver::LocalZooKeeper& zk,
                 const std::shared_ptr<sm::zk::Session>& session, const Options& o,
                 const fs::path& tmp, const Yamls& yamls, const ApplyCosts& applyCosts,
                 int hostCount, int run) {
  Run r;
  r.hostCount = hostCount;
  const std::string ns = fmt::format("smbp{}n{}r{}", ::getpid(), hostCount, run);
  const std::string root = "/" + ns;
  const auto dir = tmp / fmt::format("n{}r{}", hostCount, run);
  bd::Cluster cluster(bd::DaemonSet{hosts, root, dir, o.sessionTimeoutMs});
  std::vector<std::string> ids;
  for (int h = 1; h <= hostCount; ++h) ids.push_back(fmt::format("h{}", h));
  for (const auto& h : ids) cluster.start(h);
  if (!cluster.waitReady(*session, ids, 60s)) {
    throw std::runtime_error(
        fmt::format("{} daemons not ready within 60 s:\n{}", hostCount, cluster.logs(10)));
  }
  r.first = measureStep(cluster, hosts, zk.port(), ns, session, yamls.first, applyCosts.first,
                        kServices, dir / "apply.log", r);
  r.scale = measureStep(cluster, hosts, zk.port(), ns, session, yamls.scale, applyCosts.scale,
                        2 * kServices, dir / "scale.log", r);
  for (const auto& h : ids) r.rssKbTotal += bd::rssKb(cluster.daemon(h).pid());
  measureIdle(cluster, ids, zk.port(), ns, std::chrono::seconds(o.idleSeconds), r);
  cluster.stop(30s);
  std::set<pid_t> known{zk.pid()};
  bd::collectOrphans(known, true);
  session->removeRecursive(root);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"ZooKeeper requests per placement with 3, 10 and 30 servicesmgr daemons"};
  app.add_flag("--quick", o.quick, "one run per host count");
  app.add_option("--hosts", o.hostCounts, "host counts to measure")->delimiter(',');
  app.add_option("--runs", o.runs, "runs per host count; the figures are medians");
  app.add_option("--session-timeout-ms", o.sessionTimeoutMs, "the daemons' session timeout");
  app.add_option("--idle-seconds", o.idleSeconds, "how long the converged cluster is watched idle");
  app.add_flag("--keep", o.keep, "keep the temporary folder (logs, work dirs)");
  app.add_option("--output", o.output, "where to write the figures (JSON)");
  CLI11_PARSE(app, argc, argv);
  if (o.quick) o.runs = 1;
  // Managed processes whose daemon died come to the bench, which reaps them by PID.
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);

  const auto made = bd::makeTempDir("placement");
  if (!made) return 1;
  const fs::path tmp = *made;
  std::vector<Run> runs;
  nlohmann::json errors = nlohmann::json::array();
  ApplyCosts applyCosts;
  try {
    sm::zkserver::LocalZooKeeper zk;
    const auto hosts = zk.connectString();
    sm::zk::SessionOptions sessionOptions;
    sessionOptions.hosts = hosts;
    auto session = sm::zk::Session::connect(sessionOptions);
    const Yamls yamls{tmp / "placement.yaml", tmp / "placement-scaled.yaml"};
    std::ofstream(yamls.first) << bd::demoTypeYaml(kType, kServices, kReplicas, 1, 1000);
    std::ofstream(yamls.scale) << bd::demoTypeYaml(kType, 2 * kServices, kReplicas, 1, 1000);

    // servicesctl apply's own requests, on a root whose key znodes exist and no daemon runs: the
    // type applied, then scaled.
    const std::string calNs = fmt::format("smbp{}cal", ::getpid());
    const sm::config::Layout calLayout("/" + calNs);
    for (const auto& path : calLayout.keyZnodes()) session->ensurePath(path);
    auto calibrate = [&](const fs::path& yaml) {
      const auto c0 = bd::settle(zk.port(), calNs, 200ms, 2s);
      if (int rc = apply(hosts, calLayout.root(), yaml, tmp / "calibration.log"); rc != 0) {
        throw std::runtime_error(fmt::format("calibration apply exited {}", rc));
      }
      const auto c1 = bd::settle(zk.port(), calNs, 200ms, 2s);
      return bd::NamespaceCounters{c1.reads - c0.reads, c1.writes - c0.writes};
    };
    applyCosts.first = calibrate(yamls.first);
    applyCosts.scale = calibrate(yamls.scale);
    session->removeRecursive(calLayout.root());
    fmt::print("servicesctl apply alone: {} writes, {} reads; the scale-up: {} writes, {} reads\n",
               applyCosts.first.writes, applyCosts.first.reads, applyCosts.scale.writes,
               applyCosts.scale.reads);

    for (int run = 0; run < o.runs; ++run) {
      for (int n : o.hostCounts) {
        try {
          runs.push_back(placementRun(hosts, zk, session, o, tmp, yamls, applyCosts, n, run));
          const auto& r = runs.back();
          fmt::print(
              "run {} with {:>2} hosts: scale-up converged in {:.0f} ms, per placement {:.2f} "
              "requests ({:.2f} writes, {:.2f} reads); first apply {:.0f} ms, {:.2f} requests "
              "({:.2f} writes, {:.2f} reads); daemons' RSS {} kB in all; idle: {:.2f} "
              "requests/s, daemons' CPU {:.1f} % in all (max {:.1f} %)\n",
              run, n, r.scale.convergeMs, r.scale.requestsPerPlacement,
              r.scale.writesPerPlacement, r.scale.readsPerPlacement, r.first.convergeMs,
              r.first.requestsPerPlacement, r.first.writesPerPlacement,
              r.first.readsPerPlacement, r.rssKbTotal, r.idleRequestsPerSecond,
              r.idleCpuPercentTotal, r.idleCpuPercentMax);
        } catch (const std::exception& e) {
          errors.push_back(fmt::format("run {} with {} hosts: {}", run, n, e.what()));
          fmt::print("run {} with {} hosts FAILED: {}\n", run, n, e.what());
        }
      }
    }
  } catch (const std::exception& e) {
    errors.push_back(e.what());
    std::cerr << "sm-bench-placement: " << e.what() << "\n";
  }
  auto leftovers = bd::collectOrphans({}, true);
  if (!leftovers.empty()) {
    errors.push_back(
        fmt::format("{} processes were left at the end (killed by PID)", leftovers.size()));
  }

  nlohmann::json perCount = nlohmann::json::array();
  std::vector<double> medians;
  for (int n : o.hostCounts) {
    std::vector<double> requests, writes, reads, converge, firstRequests, firstWrites, firstReads,
        rss, idleRequests, idleCpu;
    nlohmann::json samples = nlohmann::json::array();
    auto stepJson = [](const Step& step) {
      return nlohmann::json{{"requestsPerPlacement", step.requestsPerPlacement},
                            {"writesPerPlacement", step.writesPerPlacement},
                            {"readsPerPlacement", step.readsPerPlacement},
                            {"writes", step.writes},
                            {"reads", step.reads},
                            {"benchReadsSubtracted", step.benchReads},
                            {"convergeMs", step.convergeMs}};
    };
    for (const auto& r : runs) {
      if (r.hostCount != n) continue;
      requests.push_back(r.scale.requestsPerPlacement);
      writes.push_back(r.scale.writesPerPlacement);
      reads.push_back(r.scale.readsPerPlacement);
      converge.push_back(r.scale.convergeMs);
      firstRequests.push_back(r.first.requestsPerPlacement);
      firstWrites.push_back(r.first.writesPerPlacement);
      firstReads.push_back(r.first.readsPerPlacement);
      rss.push_back(static_cast<double>(r.rssKbTotal));
      idleRequests.push_back(r.idleRequestsPerSecond);
      idleCpu.push_back(r.idleCpuPercentTotal);
      samples.push_back({{"scale", stepJson(r.scale)},
                         {"firstApply", stepJson(r.first)},
                         {"daemonsRssKbTotal", r.rssKbTotal},
                         {"idleRequestsPerSecond", r.idleRequestsPerSecond},
                         {"idleCpuPercentTotal", r.idleCpuPercentTotal},
                         {"idleCpuPercentMax", r.idleCpuPercentMax},
                         {"instancesPerHost", r.instancesPerHost}});
    }
    if (requests.empty()) continue;
    medians.push_back(sm::bench::median(requests));
    perCount.push_back({{"hosts", n},
                        {"requestsPerPlacement", sm::bench::median(requests)},
                        {"writesPerPlacement", sm::bench::median(writes)},
                        {"readsPerPlacement", sm::bench::median(reads)},
                        {"convergeMs", sm::bench::median(converge)},
                        {"firstApplyRequestsPerPlacement", sm::bench::median(firstRequests)},
                        {"firstApplyWritesPerPlacement", sm::bench::median(firstWrites)},
                        {"firstApplyReadsPerPlacement", sm::bench::median(firstReads)},
                        {"daemonsRssKbTotal", sm::bench::median(rss)},
                        {"idleRequestsPerSecond", sm::bench::median(idleRequests)},
                        {"idleCpuPercentTotal", sm::bench::median(idleCpu)},
                        {"runs", samples}});
  }
  double spread = 0;
  if (!medians.empty()) {
    const auto [lo, hi] = std::minmax_element(medians.begin(), medians.end());
    spread = *lo > 0 ? *hi / *lo - 1 : 0;
  }
  nlohmann::json d;
  d["server"] = "private standalone ZooKeeper 3.8 (Debian), tickTime 200 ms, forceSync=no";
  d["workload"] = fmt::format(
      "a type applied with {} logical services x {} replicas (maxPerHost 1), then scaled to {}: "
      "{} placements each step",
      kServices, kReplicas, 2 * kServices, kInstances);
  d["quick"] = o.quick;
  d["results"] = {{"perHostCount", perCount},
                  {"applyAloneWrites", applyCosts.first.writes},
                  {"applyAloneReads", applyCosts.first.reads},
                  {"scaleApplyAloneWrites", applyCosts.scale.writes},
                  {"scaleApplyAloneReads", applyCosts.scale.reads},
                  {"spread", spread},
                  {"target",
                   "requests per placement of the scale-up flat within 20 % (max/min - 1 <= 0.2)"},
                  {"note",
                   "mntr zk_cnt_<ns>_{write,read}_per_namespace from the counters being still "
                   "before a step to their being still for 1 s after its convergence, minus "
                   "servicesctl apply's own requests and the bench's counted reads, divided by "
                   "the step's placements. requestsPerPlacement: the scale-up (placements "
                   "alone); firstApply*: the type's first apply, which also carries what a new "
                   "type costs once (every manager lists config/ and reads the type, its "
                   "monitor holder reads every host and inbox)"}};
  d["errors"] = errors;
  sm::bench::Report report;
  report.benchmark = "placement";
  report.title = "ZooKeeper requests per placement as hosts grow";
  report.runs = o.runs;
  report.samplesPerRun = static_cast<int>(o.hostCounts.size());
  report.details = d;
  sm::bench::publish(report, o.output);
  fmt::print("requests per placement: spread {:.0f} % across host counts (target <= 20 %)\n",
             spread * 100);
  if (errors.empty() && !o.keep) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
  } else {
    fmt::print("logs and work dirs kept in {}\n", tmp.string());
  }
  return errors.empty() ? 0 : 1;
}

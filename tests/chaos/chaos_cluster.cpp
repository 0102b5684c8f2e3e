#include "tests/chaos/chaos_cluster.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tests/daemon/support/demo_type.hpp"
#include "tests/support/wait_for.hpp"

namespace sm::test::chaos {

namespace {

using std::chrono::milliseconds;

}  // namespace

ChaosCluster::ChaosCluster(ChaosEnsemble& ensemble, ClusterOptions options)
    : ensemble_(ensemble), options_(std::move(options)) {
  std::filesystem::create_directories(options_.dir);
  admin_ = connect();
  std::vector<TapEndpoint> servers;
  for (size_t i = 0; i < ensemble_.size(); ++i) servers.push_back(ensemble_.serverEndpoint(i));
  for (const auto& id : options_.hostIds) {
    taps_[id] = std::make_unique<SessionTap>(servers, ensemble_.tapAddress());
  }
}

ChaosCluster::~ChaosCluster() {
  // A fault that failed half way may have left a cut: a daemon that cannot reach ZooKeeper would
  // spend its stop timeout on it, and the next seed must start on a whole network.
  if (auto* network = ensemble_.network()) {
    try {
      for (const auto& id : options_.hostIds) network->heal(*ensemble_.daemonHost(id));
      for (size_t i = 0; i < ensemble_.size(); ++i) network->heal(*ensemble_.serverHost(i));
    } catch (const std::exception& e) {
      std::cerr << "chaos cluster: cannot heal the network: " << e.what() << std::endl;
    }
  }
  std::vector<DaemonProcess*> live;
  {
    std::lock_guard lock(mutex_);
    for (auto& d : daemons_) {
      if (d->running()) live.push_back(d.get());
    }
  }
  for (auto* d : live) {
    d->signal(SIGCONT);  // a frozen daemon cannot act on SIGTERM
    d->signal(SIGTERM);
  }
  for (auto* d : live) {
    if (!d->waitExit(milliseconds(15000))) d->kill();
  }
  // What a killed daemon left behind came to us (the suite reported it as an orphan if it lived
  // too long): stop it by PID and reap it.
  for (pid_t pid : strayChildren()) {
    if (!waitFor([&] { return !pidAlive(pid); }, milliseconds(3000), milliseconds(10))) {
      ::kill(pid, SIGKILL);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
  }
  if (admin_ && admin_->usable()) {
    try {
      admin_->removeRecursive(options_.zroot);
    } catch (const std::exception&) {
    }
  }
}

std::shared_ptr<zk::Session> ChaosCluster::connect() {
  zk::SessionOptions o;
  o.hosts = ensemble_.connectString();
  o.sessionTimeout = milliseconds(10000);
  o.connectTimeout = milliseconds(20000);
  return zk::Session::connect(o);
}

DaemonOptions ChaosCluster::daemonOptions(const std::string& hostId) const {
  DaemonOptions o;
  o.zk = taps_.at(hostId)->connectString();
  o.root = options_.zroot;
  o.hostId = hostId;
  o.workDir = options_.dir / hostId;
  o.sessionTimeoutMs = options_.sessionTimeoutMs;
  if (const auto* host = ensemble_.daemonHost(hostId)) {
    // A host of its own: the daemon runs in its namespace and publishes its host's address.
    o.netns = host->netns;
    o.extraArgs = {"--address", host->address};
  }
  return o;
}

bool ChaosCluster::startDaemons(std::string& error) {
  {
    std::lock_guard lock(mutex_);
    for (const auto& id : options_.hostIds) {
      daemons_.push_back(std::make_unique<DaemonProcess>(daemonOptions(id)));
    }
  }
  for (const auto& id : options_.hostIds) {
    if (!waitRegistered(id, error)) return false;
  }
  return true;
}

bool ChaosCluster::waitRegistered(const std::string& hostId, std::string& error) {
  const std::string path = layout().host(hostId);
  auto& d = daemon(hostId);
  const bool ok = waitFor(
      [&] {
        if (!d.running()) return false;
        auto session = tap(hostId).session();
        auto stat = admin_->exists(path);
        return session && stat && stat->ephemeralOwner == session->id;
      },
      milliseconds(20000), milliseconds(10));
  if (!ok) {
    error = fmt::format("daemon {} (pid {}) did not register {} within 20 s ({}); its log:\n{}",
                        hostId, d.pid(), path, d.running() ? "running" : "exited", d.logTail(30));
  }
  return ok;
}

std::string ChaosCluster::typesYaml() const {
  std::string out;
  for (const auto& spec : options_.types) {
    DemoType type;
    type.name = spec.name;
    type.services = spec.services;
    type.replicas = spec.replicas;
    if (spec.maxPerHost > 0)
      type.constraints = fmt::format("    maxPerHost: {}\n", spec.maxPerHost);
    type.persistent = spec.persistent;
    // Faults kill processes often: a host must not cool down for crash loops the suite caused.
    type.crashLoop = "{failures: 1000, windowSeconds: 1}";
    type.stopTimeoutMs = 1000;
    // hang_master stops a master's process: its daemon must see it fail and fail it over. The
    // check asks sm-demo-service for its role: a plain connect would succeed until the stopped
    // process's listen backlog is full.
    type.health =
        R"({tcp: http, send: "ROLE\n", expect: "{", intervalMs: 200, timeoutMs: 200, )"
        R"(failureThreshold: 3})";
    if (!out.empty()) out += "---\n";
    out += type.yaml();
  }
  return out;
}

bool ChaosCluster::applyTypes(std::string& error, bool force) {
  const auto file = options_.dir / fmt::format("apply-{}.yaml", files_++);
  writeFile(file, typesYaml());
  std::vector<std::string> args = {"apply", "-f", file.string()};
  if (force) args.push_back("--force");
  auto result = ctl(args);
  if (result.exitCode != 0) {
    error = fmt::format("servicesctl {} exited {}: {}{}", fmt::join(args, " "), result.exitCode,
                        result.out, result.err);
  }
  return result.exitCode == 0;
}

CtlResult ChaosCluster::ctl(const std::vector<std::string>& args) {
  std::vector<std::string> all = {"--zk", ensemble_.connectString(), "--root", options_.zroot};
  all.insert(all.end(), args.begin(), args.end());
  return runCtl(all);
}

DaemonProcess& ChaosCluster::daemon(const std::string& hostId) {
  std::lock_guard lock(mutex_);
  for (auto it = daemons_.rbegin(); it != daemons_.rend(); ++it) {
    if ((*it)->hostId() == hostId) return **it;
  }
  throw std::logic_error("no daemon " + hostId);
}

std::vector<std::string> ChaosCluster::exitedDaemons() {
  std::vector<std::string> exited;
  for (const auto& id : options_.hostIds) {
    auto& d = daemon(id);
    if (!d.running()) {
      exited.push_back(fmt::format("daemon {} (pid {}) exited with {}; its log ends:\n{}", id,
                                   d.pid(), d.exitCode().value_or(-1), d.logTail(15)));
    }
  }
  return exited;
}

std::vector<HostState> ChaosCluster::hostStates() {
  std::vector<HostState> states;
  std::lock_guard lock(mutex_);
  for (const auto& id : options_.hostIds) {
    HostState s;
    s.hostId = id;
    s.workDir = options_.dir / id;
    for (auto it = daemons_.rbegin(); it != daemons_.rend(); ++it) {
      if ((*it)->hostId() != id) continue;
      s.daemonPid = (*it)->pid();
      s.daemonAlive = pidAlive((*it)->pid());
      break;
    }
    s.daemonFrozen = frozen_[id];
    if (auto session = taps_.at(id)->session()) s.session = session->id;
    states.push_back(s);
  }
  return states;
}

bool ChaosCluster::restartDaemon(const std::string& hostId, std::string& error) {
  {
    std::lock_guard lock(mutex_);
    daemons_.push_back(std::make_unique<DaemonProcess>(daemonOptions(hostId)));
  }
  return waitRegistered(hostId, error);
}

void ChaosCluster::setFrozen(const std::string& hostId, bool frozen) {
  std::lock_guard lock(mutex_);
  frozen_[hostId] = frozen;
}

bool ChaosCluster::waitHostSessionGone(const std::string& hostId, std::int64_t session,
                                       milliseconds timeout) {
  const std::string path = layout().host(hostId);
  return waitFor(
      [&] {
        try {
          auto stat = admin_->exists(path);
          return !stat || stat->ephemeralOwner != session;
        } catch (const std::exception&) {
          return false;
        }
      },
      timeout, milliseconds(20));
}

std::vector<pid_t> ChaosCluster::strayChildren() {
  std::vector<pid_t> result;
  for (pid_t pid : childrenOfThisProcess()) {
    const std::string stat = readWholeFile(fmt::format("/proc/{}/stat", pid));
    // Only managed processes and a dead daemon's orphan guard: our daemons, servers and servicesctl
    // runs are reaped by their owners.
    if (stat.find("(sm-demo-service)") == std::string::npos &&
        stat.find("(sm-orphan-guard)") == std::string::npos) {
      continue;
    }
    result.push_back(pid);
  }
  return result;
}

void ChaosCluster::reapStrays() {
  for (pid_t pid : strayChildren()) {
    if (pidAlive(pid)) continue;
    int status = 0;
    ::waitpid(pid, &status, WNOHANG);
  }
}

std::string ChaosCluster::logTails(size_t lines) {
  std::string out;
  std::lock_guard lock(mutex_);
  for (const auto& d : daemons_) {
    out += fmt::format("----- {} (pid {}) {}, last lines:\n{}\n", d->hostId(), d->pid(),
                       d->logFile().string(), d->logTail(lines));
  }
  return out;
}

}  // namespace sm::test::chaos

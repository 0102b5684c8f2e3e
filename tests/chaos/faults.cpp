#include "tests/chaos/faults.hpp"

#include <signal.h>

#include <set>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "tests/support/wait_for.hpp"

namespace sm::test::chaos {

namespace {

using std::chrono::milliseconds;

// How long a fault lasts is part of the fault (not a synchronisation): the suite holds it this
// long, then heals it.
void holdFault(milliseconds duration) {
  std::this_thread::sleep_for(duration);
}

}  // namespace

const std::vector<FaultKind>& allFaultKinds() {
  static const std::vector<FaultKind> kinds = {
      FaultKind::KillService,  FaultKind::KillDaemon,    FaultKind::FreezeDaemon,
      FaultKind::StopServer,   FaultKind::ExpireSession, FaultKind::GarbageConfig,
      FaultKind::CutOffDaemon, FaultKind::HangMaster,    FaultKind::KillRestarting,
      FaultKind::Switchover,   FaultKind::DrainHost};
  return kinds;
}

const std::vector<FaultKind>& namespacedFaultKinds() {
  static const std::vector<FaultKind> kinds = [] {
    auto all = allFaultKinds();
    all.push_back(FaultKind::PartitionHost);
    all.push_back(FaultKind::IsolateZkServer);
    return all;
  }();
  return kinds;
}

bool needsNamespacedHosts(FaultKind kind) {
  return kind == FaultKind::PartitionHost || kind == FaultKind::IsolateZkServer;
}

std::string faultName(FaultKind kind) {
  switch (kind) {
    case FaultKind::KillService:
      return "kill_service";
    case FaultKind::KillDaemon:
      return "kill_daemon";
    case FaultKind::FreezeDaemon:
      return "freeze_daemon";
    case FaultKind::StopServer:
      return "stop_zk_server";
    case FaultKind::ExpireSession:
      return "expire_session";
    case FaultKind::GarbageConfig:
      return "garbage_config";
    case FaultKind::CutOffDaemon:
      return "cut_off_daemon";
    case FaultKind::HangMaster:
      return "hang_master";
    case FaultKind::KillRestarting:
      return "kill_restarting";
    case FaultKind::Switchover:
      return "switchover";
    case FaultKind::DrainHost:
      return "drain_host";
    case FaultKind::PartitionHost:
      return "partition_host";
    case FaultKind::IsolateZkServer:
      return "isolate_zk_server";
  }
  return "?";
}

std::vector<FaultKind> parseFaultKinds(const std::string& text) {
  std::vector<FaultKind> kinds;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find_first_of(", ", start);
    if (end == std::string::npos) end = text.size();
    const std::string name = text.substr(start, end - start);
    if (!name.empty()) {
      bool found = false;
      for (auto kind : namespacedFaultKinds()) {
        if (faultName(kind) == name) {
          kinds.push_back(kind);
          found = true;
        }
      }
      if (!found) throw std::invalid_argument("unknown fault kind \"" + name + "\"");
    }
    start = end + 1;
  }
  return kinds;
}

FaultKind FaultInjector::pick(const std::vector<FaultKind>& kinds) {
  return kinds.at(below(kinds.size()));
}

std::string FaultInjector::pickHost() {
  const auto& ids = cluster_.options().hostIds;
  return ids.at(below(ids.size()));
}

std::string FaultInjector::pickHostWithMaster() {
  std::set<std::string> hosts;
  try {
    auto tree = readTreeView(cluster_.admin(), cluster_.layout());
    for (const auto& [name, type] : tree.types) {
      for (const auto& [seq, logical] : type.logical) {
        if (!logical.election.empty() && logical.election.front().decoded) {
          hosts.insert(logical.election.front().host);
        }
      }
    }
  } catch (const std::exception&) {
  }
  if (hosts.empty()) return pickHost();
  std::vector<std::string> list(hosts.begin(), hosts.end());
  return list.at(below(list.size()));
}

FaultOutcome FaultInjector::inject(FaultKind kind) {
  try {
    switch (kind) {
      case FaultKind::KillService:
        return killService();
      case FaultKind::KillDaemon:
        return killDaemon();
      case FaultKind::FreezeDaemon:
        return freezeDaemon();
      case FaultKind::StopServer:
        return stopServer();
      case FaultKind::ExpireSession:
        return expireSession();
      case FaultKind::GarbageConfig:
        return garbageConfig();
      case FaultKind::CutOffDaemon:
        return cutOffDaemon();
      case FaultKind::HangMaster:
        return hangMaster();
      case FaultKind::KillRestarting:
        return killRestarting();
      case FaultKind::Switchover:
        return switchover();
      case FaultKind::DrainHost:
        return drainHost();
      case FaultKind::PartitionHost:
        return partitionHost();
      case FaultKind::IsolateZkServer:
        return isolateZkServer();
    }
  } catch (const std::exception& e) {
    return {false, "", std::string("the harness failed: ") + e.what()};
  }
  return {false, "", "unknown fault"};
}

std::vector<RunningInstance> FaultInjector::runningInstances() {
  std::vector<RunningInstance> all;
  auto tree = readTreeView(cluster_.admin(), cluster_.layout());
  for (const auto& [name, type] : tree.types) {
    for (const auto& [seq, logical] : type.logical) {
      const std::string master = logical.election.empty() ? "" : logical.election.front().physical;
      for (const auto& [uuid, i] : logical.instances) {
        if (i.decoded && i.pid > 0 && pidAlive(static_cast<pid_t>(i.pid))) {
          all.push_back({{{name, seq}, uuid},
                         logical.key,
                         i.host,
                         static_cast<pid_t>(i.pid),
                         uuid == master});
        }
      }
    }
  }
  // Ordered by what a seed can reproduce (uuids and pids differ from run to run).
  std::sort(all.begin(), all.end(), [](const RunningInstance& a, const RunningInstance& b) {
    return std::tie(a.key, a.host) < std::tie(b.key, b.host);
  });
  return all;
}

FaultOutcome FaultInjector::killService() {
  const auto all = runningInstances();
  const bool wantMaster = below(2) == 0;
  std::vector<RunningInstance> pool;
  for (const auto& c : all) {
    if (c.master == wantMaster) pool.push_back(c);
  }
  if (pool.empty()) pool = all;
  if (pool.empty()) return {false, "", "no running instance to kill"};
  const auto& victim = pool.at(below(pool.size()));
  ::kill(victim.pid, SIGKILL);
  return {true,
          fmt::format("SIGKILL {} {} of {} on {} (pid {})", victim.master ? "master" : "secondary",
                      victim.id.uuid, victim.key, victim.host, victim.pid),
          ""};
}

FaultOutcome FaultInjector::killDaemon() {
  const std::string host = pickHost();
  const auto pause = between(0, 1000);
  auto& d = cluster_.daemon(host);
  const auto session = cluster_.tap(host).session();
  const pid_t pid = d.pid();
  d.kill();
  // The same host id is refused while the dead daemon's session still holds hosts/<id>.
  if (session && !cluster_.waitHostSessionGone(
                     host, session->id, cluster_.sessionTimeout() * 3 + milliseconds(10000))) {
    return {false, "", fmt::format("hosts/{} of the killed daemon never went away", host)};
  }
  holdFault(pause);
  std::string error;
  if (!cluster_.restartDaemon(host, error)) return {false, "", error};
  return {true,
          fmt::format("SIGKILL daemon {} (pid {}), restarted {} ms after its session ended as "
                      "pid {}",
                      host, pid, pause.count(), cluster_.daemon(host).pid()),
          ""};
}

FaultOutcome FaultInjector::freezeDaemon() {
  const std::string host = pickHostWithMaster();
  const bool pastTimeout = longFreezesOnly_ || below(3) != 0;
  const auto timeout = cluster_.sessionTimeout();
  const auto shortHold =
      between(static_cast<int>(timeout.count() / 2), static_cast<int>(timeout.count() * 9 / 10));
  const auto extra = between(0, 1000);
  auto& d = cluster_.daemon(host);
  const auto session = cluster_.tap(host).session();
  cluster_.setFrozen(host, true);
  d.signal(SIGSTOP);
  const auto frozenAt = std::chrono::steady_clock::now();
  bool expired = false;
  if (pastTimeout) {
    expired = session &&
              cluster_.waitHostSessionGone(host, session->id, timeout * 3 + milliseconds(10000));
    holdFault(extra);
  } else {
    holdFault(shortHold);
  }
  const auto held =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - frozenAt);
  d.signal(SIGCONT);
  cluster_.setFrozen(host, false);
  if (pastTimeout && !expired) {
    return {false, "",
            fmt::format("daemon {} frozen {} ms: its session never expired", host, held.count())};
  }
  return {true,
          fmt::format("SIGSTOP daemon {} (pid {}) for {} ms ({}), then SIGCONT", host, d.pid(),
                      held.count(),
                      pastTimeout ? "until its session expired" : "less than the session timeout"),
          ""};
}

FaultOutcome FaultInjector::stopServer() {
  auto& ensemble = cluster_.ensemble();
  const auto leader = ensemble.leader();
  size_t index = 0;
  if (leader && below(2) == 0) {
    index = *leader;
  } else {
    std::vector<size_t> others;
    for (size_t i = 0; i < ensemble.size(); ++i) {
      if (!leader || i != *leader) others.push_back(i);
    }
    index = others.at(below(others.size()));
  }
  const bool wasLeader = leader && *leader == index;
  const auto hold = between(500, 3000);
  ensemble.stopServer(index);
  holdFault(hold);
  ensemble.startServer(index);
  if (!ensemble.waitQuorum(milliseconds(30000))) {
    return {false, "", "the ensemble has no quorum 30 s after restarting a server"};
  }
  return {true,
          fmt::format("stopped ZooKeeper server {}{} for {} ms, started it again", index + 1,
                      wasLeader ? " (the leader)" : "", hold.count()),
          ""};
}

FaultOutcome FaultInjector::expireSession() {
  const std::string host = pickHost();
  const auto session = cluster_.tap(host).session();
  if (!session) return {false, "", "no session known for " + host};
  const auto deadline = std::chrono::steady_clock::now() + milliseconds(20000);
  int attempts = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    ++attempts;
    zk::SessionOptions options;
    options.hosts = cluster_.ensemble().connectString();
    options.attach = *session;
    options.connectTimeout = milliseconds(5000);
    if (onForcedClose) onForcedClose(host);
    try {
      zk::Session::connect(options)->close();
    } catch (const zk::ZkError& e) {
      if (e.code() != zk::Code::SessionExpired) throw;
    }
    // The daemon may reconnect in between and take its session back; then close it again.
    if (cluster_.waitHostSessionGone(host, session->id, milliseconds(2000))) {
      return {true,
              fmt::format("expired daemon {}'s session 0x{:x} ({} attempt{})", host, session->id,
                          attempts, attempts == 1 ? "" : "s"),
              ""};
    }
  }
  return {false, "", fmt::format("session 0x{:x} of {} did not expire", session->id, host)};
}

FaultOutcome FaultInjector::garbageConfig() {
  const auto& types = cluster_.options().types;
  const auto& type = types.at(below(types.size()));
  static const std::vector<std::pair<std::string, std::string>> garbage = {
      {"binary", std::string("\x00\xff\xfe{{{ not a spec", 19)},
      {"wrong types", R"({"apiVersion": 42, "kind": [], "spec": "nope"})"},
      {"a JSON array", "[1, 2, 3]"},
      {"300 KB", std::string(300000, 'x')},
  };
  const auto& [what, data] = garbage.at(below(garbage.size()));
  const auto hold = between(500, 3000);
  const std::string path = cluster_.layout().serviceType(type.name);
  cluster_.admin().set(path, data);
  holdFault(hold);
  std::string error;
  if (!cluster_.applyTypes(error, /*force=*/true)) return {false, "", error};
  return {true,
          fmt::format("wrote {} into {} for {} ms, then apply --force", what, path, hold.count()),
          ""};
}

}  // namespace sm::test::chaos

namespace sm::test::chaos {

FaultOutcome FaultInjector::cutOffDaemon() {
  const std::string host = pickHostWithMaster();
  const auto extra = between(0, 1000);
  const auto session = cluster_.tap(host).session();
  if (!session) return {false, "", "no session known for " + host};
  cluster_.setFrozen(host, true);
  cluster_.tap(host).cutOff(true);
  const auto start = std::chrono::steady_clock::now();
  const bool expired = cluster_.waitHostSessionGone(
      host, session->id, cluster_.sessionTimeout() * 3 + milliseconds(10000));
  holdFault(extra);
  const auto held =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
  cluster_.tap(host).cutOff(false);
  cluster_.setFrozen(host, false);
  if (!expired) {
    return {false, "",
            fmt::format("daemon {} cut off {} ms: its session never expired", host, held.count())};
  }
  return {true,
          fmt::format("cut daemon {} off ZooKeeper for {} ms (until its session 0x{:x} expired), "
                      "then reconnected it",
                      host, held.count(), session->id),
          ""};
}

}  // namespace sm::test::chaos

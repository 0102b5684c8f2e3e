// The faults of a managed process that its daemon restarts in place (same uuid, ports, role file,
// host): a master that hangs (its health check fails, so its daemon demotes it, stops it and starts
// it again) and a process killed again while it restarts. A daemon that replaces an instance
// instead of restarting it in place (an older build) makes kill_restarting a plain kill, noted.
#include <signal.h>

#include <filesystem>
#include <map>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "config/physical_service_data.hpp"
#include "services/role.hpp"
#include "tests/chaos/faults.hpp"
#include "tests/support/wait_for.hpp"

namespace sm::test::chaos {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Failing over a hung master: failureThreshold probes that get no answer (3 x 200 ms), then the
// demotion, which does not wait for the process to stop. The bound leaves room for a loaded machine.
constexpr milliseconds kFailoverBound{5000};
// The daemon stops the hung process (SIGKILL after the stop timeout, 1 s in the chaos types).
constexpr milliseconds kStopBound{10000};
// A daemon that restarts in place shows the restart (state restarting, then a new pid) well within
// this after the kill (restart backoff at most 1 s in the chaos types).
constexpr milliseconds kRestartBound{5000};
constexpr milliseconds kPoll{10};

long long msSince(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start).count();
}

}  // namespace

FaultOutcome FaultInjector::hangMaster() {
  std::vector<RunningInstance> masters;
  for (const auto& i : runningInstances()) {
    if (i.master) masters.push_back(i);
  }
  if (masters.empty()) return {false, "", "no running master to hang"};
  const auto victim = masters.at(below(masters.size()));
  const auto workDirs = [&] {
    std::map<std::string, std::filesystem::path> dirs;
    for (const auto& h : cluster_.hostStates()) dirs[h.hostId] = h.workDir;
    return dirs;
  }();
  // Another process of the logical service is first in its election and its role file says master.
  std::string successor;
  auto anotherMaster = [&] {
    try {
      auto tree = readTreeView(cluster_.admin(), cluster_.layout());
      const auto& logical =
          tree.types.at(victim.id.logical.type).logical.at(victim.id.logical.sequence);
      if (logical.election.empty() || !logical.election.front().decoded) return false;
      const auto& first = logical.election.front();
      if (first.physical == victim.id.uuid || !workDirs.count(first.host)) return false;
      auto role =
          services::readRoleFile(roleFileOf(workDirs.at(first.host), first.physical).string());
      if (!role || !services::isMasterNow(*role)) return false;
      successor = fmt::format("{} on {}", first.physical, first.host);
      return true;
    } catch (const std::exception&) {
      return false;  // a node vanished while read, or the admin session is reconnecting
    }
  };

  ::kill(victim.pid, SIGSTOP);
  const auto stoppedAt = Clock::now();
  const bool failedOver = waitFor(anotherMaster, kFailoverBound, kPoll);
  const auto failoverMs = msSince(stoppedAt);
  const bool stopped = waitFor([&] { return !pidAlive(victim.pid); }, kStopBound, kPoll);
  if (!stopped) {
    // It must not stay stopped, whatever its daemon did.
    ::kill(victim.pid, SIGCONT);
    note(
        fmt::format("hung master {} (pid {}) still alive {} ms after SIGSTOP: its daemon did not "
                    "stop it; SIGCONT",
                    victim.id.uuid, victim.pid, msSince(stoppedAt)));
  }
  if (!failedOver) {
    return {
        false, "",
        fmt::format("no other master of {} within {} ms of SIGSTOP of its master {} on {} "
                    "(pid {})",
                    victim.key, kFailoverBound.count(), victim.id.uuid, victim.host, victim.pid)};
  }
  return {true,
          fmt::format("SIGSTOP master {} of {} on {} (pid {}): another master ({}) after "
                      "failover_ms={}; the hung process {}",
                      victim.id.uuid, victim.key, victim.host, victim.pid, successor, failoverMs,
                      stopped ? "was stopped by its daemon" : "got SIGCONT"),
          ""};
}

FaultOutcome FaultInjector::killRestarting() {
  const auto all = runningInstances();
  if (all.empty()) return {false, "", "no running instance to kill"};
  const auto victim = all.at(below(all.size()));
  const int restartKills = 1 + static_cast<int>(below(2));
  const std::string path = cluster_.layout().physicalService(victim.id);

  std::set<pid_t> killed = {victim.pid};
  ::kill(victim.pid, SIGKILL);
  std::vector<std::string> steps;  // the restarts killed
  for (int n = 0; n < restartKills; ++n) {
    const auto killedAt = Clock::now();
    bool restartingSeen = false;
    bool withdrawn = false;
    pid_t next = 0;
    // The instance restarts in place: its node stays (restarting, pid 0) and then shows the pid of
    // the new process, which is killed as soon as it appears.
    waitFor(
        [&] {
          try {
            auto node = cluster_.admin().get(path);
            if (!node) {
              withdrawn = true;
              return true;
            }
            auto data = config::decodePhysicalServiceData(node->data, path);
            if (!data.ok()) return false;
            restartingSeen |= data.value().state == config::PhysicalState::Restarting;
            const auto pid = static_cast<pid_t>(data.value().pid);
            if (pid > 0 && !killed.count(pid) && pidAlive(pid)) next = pid;
            return next > 0;
          } catch (const std::exception&) {
            return false;
          }
        },
        kRestartBound, kPoll);
    if (next == 0) {
      const char* seen = withdrawn        ? "its node is gone"
                         : restartingSeen ? "restarting, no new process"
                                          : "no sign of a restart";
      note(fmt::format("{} of {} on {}: no restart in place {} ms after SIGKILL ({}), a plain kill",
                       victim.id.uuid, victim.key, victim.host, msSince(killedAt), seen));
      break;
    }
    ::kill(next, SIGKILL);
    killed.insert(next);
    steps.push_back(fmt::format("pid {} after {} ms{}", next, msSince(killedAt),
                                restartingSeen ? " (restarting seen)" : ""));
  }
  return {
      true,
      fmt::format("SIGKILL {} {} of {} on {} (pid {}), then its restarts in place: {}",
                  victim.master ? "master" : "secondary", victim.id.uuid, victim.key, victim.host,
                  victim.pid, steps.empty() ? "none" : fmt::format("{}", fmt::join(steps, ", "))),
      ""};
}

}  // namespace sm::test::chaos

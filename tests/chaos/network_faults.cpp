// The faults that cut links, on namespaced hosts only (chaos_ensemble.hpp): a daemon's host
// partitioned silently, and one ZooKeeper server isolated. Both are silent, as real partitions
// are: packets vanish, nobody gets a reset (tests/support/host_network.hpp).
#include <thread>

#include <fmt/format.h>

#include "tests/chaos/faults.hpp"

namespace sm::test::chaos {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How long a cut lasts is part of the fault (not a synchronisation): held this long, then healed.
void holdCut(milliseconds duration) {
  std::this_thread::sleep_for(duration);
}

milliseconds since(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

}  // namespace

FaultOutcome FaultInjector::partitionHost() {
  auto* network = cluster_.ensemble().network();
  if (network == nullptr) return {false, "", "partition_host needs namespaced hosts"};
  const std::string host = pickHostWithMaster();
  // Two times in three past the session timeout (the servers expire the daemon's session while it
  // runs on, cut off with its processes: the strict I1 case on real hosts); else for 1/2 to 9/10
  // of it (its masters' leases lapse, its session lives on, and the heal must bring them back).
  const bool pastTimeout = below(3) != 0;
  const auto timeout = cluster_.sessionTimeout();
  const auto shortHold =
      between(static_cast<int>(timeout.count() / 2), static_cast<int>(timeout.count() * 9 / 10));
  const auto extra = between(0, 2000);
  const auto session = cluster_.tap(host).session();
  if (!session) return {false, "", "no session known for " + host};
  const auto& netHost = *cluster_.ensemble().daemonHost(host);
  // Cut off: the checker does not hold its processes to being registered until it is back.
  cluster_.setFrozen(host, true);
  network->cut(netHost);
  const auto start = Clock::now();
  bool expired = false;
  if (pastTimeout) {
    expired = cluster_.waitHostSessionGone(host, session->id, timeout * 3 + milliseconds(10000));
    holdCut(extra);
  } else {
    holdCut(shortHold);
  }
  const auto held = since(start);
  network->heal(netHost);
  cluster_.setFrozen(host, false);
  if (pastTimeout && !expired) {
    return {false, "",
            fmt::format("host {} partitioned {} ms: its daemon's session never expired", host,
                        held.count())};
  }
  return {true,
          fmt::format("partitioned host {} ({}) silently for {} ms ({}), then healed", host,
                      netHost.address, held.count(),
                      pastTimeout ? fmt::format("until its session 0x{:x} expired", session->id)
                                  : "less than the session timeout"),
          ""};
}

FaultOutcome FaultInjector::isolateZkServer() {
  auto& ensemble = cluster_.ensemble();
  auto* network = ensemble.network();
  if (network == nullptr) return {false, "", "isolate_zk_server needs namespaced hosts"};
  // Half the time the server a master's daemon talks to (the Jepsen case: that daemon must move
  // to another server or lose its lease, never keep a master beside a newer one), else any.
  std::optional<std::size_t> index;
  if (below(2) == 0) index = cluster_.tap(pickHostWithMaster()).lastServer();
  if (!index) index = below(ensemble.size());
  // From its peers only (its clients still reach it: it loses its quorum and drops them), or
  // from everything (its peers, the daemons' taps, the suite: its clients hear nothing at all).
  const bool peersOnly = below(2) == 0;
  // From under a second (the ensemble may not notice) to well past the daemons' session timeout.
  const auto hold = between(500, 8000);
  const auto& server = *ensemble.serverHost(*index);
  const auto leader = ensemble.leader();
  const bool wasLeader = leader && *leader == *index;
  std::string clients;
  for (const auto& id : cluster_.options().hostIds) {
    if (cluster_.tap(id).lastServer() == index) clients += (clients.empty() ? "" : ",") + id;
  }
  if (peersOnly) {
    for (std::size_t i = 0; i < ensemble.size(); ++i) {
      if (i != *index) network->cutBetween(server, *ensemble.serverHost(i));
    }
  } else {
    network->cut(server);
  }
  holdCut(hold);
  network->heal(server);
  if (!ensemble.waitQuorum(milliseconds(30000))) {
    return {false, "", fmt::format("no quorum of every server 30 s after zk{} was healed",
                                   *index + 1)};
  }
  return {true,
          fmt::format("isolated ZooKeeper server zk{}{} ({}) from {} for {} ms (daemons on it: {}), "
                      "then healed",
                      *index + 1, wasLeader ? " (the leader)" : "", server.address,
                      peersOnly ? "its peers" : "everything", hold.count(),
                      clients.empty() ? "none" : clients),
          ""};
}

}  // namespace sm::test::chaos

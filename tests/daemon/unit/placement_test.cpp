#include "manager/daemon/placement/placement.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>

#include "tests/model/snapshot_builder.hpp"

namespace sm::daemon::placement {
namespace {

using testutil::idleHost;
using testutil::makeType;
using testutil::SnapshotBuilder;

std::vector<std::string> chainNames(const config::Constraints& constraints) {
  config::ServiceSpec spec;
  spec.constraints = constraints;
  std::vector<std::string> names;
  for (const auto& constraint : constraintChain(spec)) names.emplace_back(constraint->name());
  return names;
}

config::HostData host(double load, std::int64_t running, std::int64_t freeMB = 8192) {
  config::HostData data = idleHost();
  data.load = load;
  data.running = running;
  data.capacity.freeMemoryMB = freeMB;
  return data;
}

TEST(ConstraintChain, DefaultSpecChecksOnlyHostDataCordonAndCooldown) {
  EXPECT_EQ(chainNames({}), (std::vector<std::string>{"hostData", "cordon", "cooldown"}));
}

TEST(ConstraintChain, EverySetConstraintInTheFixedOrder) {
  config::Constraints c;
  c.dependsOn = {"db"};
  c.maxLoadAverage = 4.0;
  c.minFreeMemoryMB = 512;
  c.maxPerHost = 1;
  c.hostLabels = {{"zone", "eu"}};
  c.denyHosts = {"h9"};
  c.allowHosts = {"h*"};
  EXPECT_EQ(chainNames(c), (std::vector<std::string>{
                               "hostData", "cordon", "cooldown", "allowHosts", "denyHosts",
                               "hostLabels", "maxPerHost", "minFreeMemoryMB", "maxLoadAverage",
                               "dependsOn"}));
}

TEST(CheckHost, ReportsTheFirstFailingConstraint) {
  config::Constraints c;
  c.denyHosts = {"h2"};
  c.minFreeMemoryMB = 512;
  c.maxLoadAverage = 1.0;
  const auto type = makeType("web", c);
  const auto snap = SnapshotBuilder()
                        .host("h1", host(0.5, 0))
                        .host("h2", host(9.0, 0, 100))  // fails all three
                        .host("h3", host(9.0, 0, 100))  // fails the last two
                        .build();
  const PlacementRequest request{type, {"web", 0}, snap};
  EXPECT_EQ(checkHost(request, snap.hosts.at("h1")), std::nullopt);
  EXPECT_EQ(checkHost(request, snap.hosts.at("h2")),
            (Infeasible{"denyHosts", "denyHosts matches \"h2\" (pattern \"h2\")"}));
  EXPECT_EQ(checkHost(request, snap.hosts.at("h3")),
            (Infeasible{"minFreeMemoryMB", "free memory 100 MB < minFreeMemoryMB 512"}));
}

TEST(InfeasibleHosts, ListsEveryFailingHostSortedById) {
  config::Constraints c;
  c.maxLoadAverage = 1.0;
  const auto type = makeType("web", c);
  const auto snap =
      SnapshotBuilder().host("c", host(2.5, 0)).host("a", host(0.0, 0)).unreadableHost("b").build();
  const PlacementRequest request{type, {"web", 0}, snap};
  EXPECT_EQ(infeasibleHosts(request),
            (std::vector<config::HostReason>{{"b", "host data of \"b\" is unreadable"},
                                             {"c", "load 2.5 > maxLoadAverage 1"}}));
  EXPECT_EQ(rankFeasibleHosts(request), (std::vector<std::string>{"a"}));
}

TEST(Ranking, LeastLoadedWins) {
  const auto type = makeType("web");
  const auto snap = SnapshotBuilder()
                        .host("busy", host(3.0, 5))
                        .host("idle", host(0.1, 0))
                        .host("warm", host(0.1, 2))
                        .host("hot", host(4.5, 2))  // a whole CPU per core busier than "warm"
                        .build();
  const PlacementRequest request{type, {"web", 0}, snap};
  EXPECT_EQ(rankFeasibleHosts(request), (std::vector<std::string>{"idle", "warm", "hot", "busy"}));
}

TEST(Ranking, SpreadsTheLogicalServiceBeforeTheTypeBeforeTheHostLoad) {
  const auto type = makeType("web");
  const auto snap = SnapshotBuilder()
                        .host("h1", host(0.0, 0))
                        .host("h2", host(5.0, 9))
                        .host("h3", host(0.0, 0))
                        .type(type, 2)
                        .instance({"web", 0}, "u1", "h1")  // a replica of the one being placed
                        .instance({"web", 1}, "u2", "h3")  // same type, other logical service
                        .build();
  const PlacementRequest request{type, {"web", 0}, snap};
  EXPECT_EQ(rankFeasibleHosts(request), (std::vector<std::string>{"h2", "h3", "h1"}));
  const Score s1 = score(request, snap.hosts.at("h1"));
  EXPECT_EQ(s1.logicalInstances, 1);
  EXPECT_EQ(s1.typeInstances, 1);
  const Score s2 = score(request, snap.hosts.at("h2"));
  const Score s3 = score(request, snap.hosts.at("h3"));
  EXPECT_LT(s2, s3);
  EXPECT_LT(s3, s1);
  EXPECT_LT(s2.value(), s3.value());
  EXPECT_LT(s3.value(), s1.value());
}

TEST(Ranking, LoadCountsInWholeCpusOnly) {
  const auto type = makeType("web");
  const auto snap = SnapshotBuilder().host("a", host(0.2, 0)).host("b", host(0.9, 0)).build();
  const PlacementRequest request{type, {"web", 0}, snap};
  // 0.2 and 0.9 are the same bucket (less than one CPU's worth): the load does not decide.
  EXPECT_EQ(score(request, snap.hosts.at("a")).load, score(request, snap.hosts.at("b")).load);
}

TEST(Ranking, AHashBreaksTiesDifferentlyPerLogicalServiceAndUnknownHostsScoreLast) {
  const auto type = makeType("web");
  const auto snap = SnapshotBuilder().host("b").host("a").host("d").unreadableHost("c").build();
  std::set<std::string> firsts;
  for (std::int64_t seq = 0; seq < 12; ++seq) {
    const PlacementRequest request{type, {"web", seq}, snap};
    const auto ranked = rankFeasibleHosts(request);
    ASSERT_EQ(ranked.size(), 3u);
    EXPECT_EQ(ranked, rankFeasibleHosts(request));  // deterministic
    firsts.insert(ranked.front());
    EXPECT_LT(score(request, snap.hosts.at(ranked.back())), score(request, snap.hosts.at("c")));
    EXPECT_LT(score(request, snap.hosts.at("a")).value(),
              score(request, snap.hosts.at("c")).value());
  }
  // Equal hosts: different logical services prefer different hosts.
  EXPECT_GE(firsts.size(), 2u);
}

TEST(ScoreValue, OrdersLikeTheTuple) {
  const Score base{0, 0, 0, 0.0, 0, "h"};
  EXPECT_LT(base.value(), (Score{0, 0, 0, 0.5, 0, "h"}).value());
  EXPECT_LT((Score{0, 0, 0, 9000.0, 0, "h"}).value(), (Score{0, 0, 1, 0.0, 0, "h"}).value());
  EXPECT_LT((Score{0, 0, 9000, 9000.0, 0, "h"}).value(), (Score{0, 1, 0, 0.0, 0, "h"}).value());
  EXPECT_LT((Score{0, 9000, 9000, 9000.0, 0, "h"}).value(), (Score{1, 0, 0, 0.0, 0, "h"}).value());
}

// Per-host counts of the type: highest minus lowest.
std::int64_t spread(const model::ClusterSnapshot& snap, const std::string& type) {
  std::int64_t lo = INT64_MAX, hi = 0;
  for (const auto& [id, h] : snap.hosts) {
    lo = std::min(lo, snap.instancesOnHost(type, id));
    hi = std::max(hi, snap.instancesOnHost(type, id));
  }
  return hi - lo;
}

// Places every replica of every logical service one at a time on the best host, replica by
// replica, checking the spread after each round.
void placeGreedily(model::ClusterSnapshot& snap, const config::StoredServiceType& type, int logical,
                   int replicas) {
  int uuid = 0;
  for (int replica = 0; replica < replicas; ++replica) {
    for (std::int64_t seq = 0; seq < logical; ++seq) {
      const PlacementRequest request{type, {type.type.name, seq}, snap};
      const auto ranked = rankFeasibleHosts(request);
      ASSERT_EQ(ranked.size(), snap.hosts.size());
      const std::string& chosen = ranked.front();
      SnapshotBuilder::addInstance(snap, request.logical, "u" + std::to_string(uuid++), chosen);
      ++snap.hosts.at(chosen).data->running;
    }
    ASSERT_LE(spread(snap, type.type.name), 1) << "after round " << replica;
  }
}

// I7: with no constraints, per-host counts end within 1 of each other, and no host gets two
// replicas of one logical service while another host has none.
TEST(Ranking, GreedyPlacementSpreadsEvenly) {
  const auto type = makeType("web");
  model::ClusterSnapshot snap = SnapshotBuilder().host("h1").host("h2").host("h3").type(type, 10).build();
  placeGreedily(snap, type, 10, 3);
  for (std::int64_t seq = 0; seq < 10; ++seq) {
    for (const auto& [id, h] : snap.hosts) {
      EXPECT_EQ(snap.instancesOnHost(config::LogicalServiceId{"web", seq}, id), 1) << id;
    }
  }
}

TEST(Ranking, GreedyPlacementSpreadsEvenlyWithFewerReplicasThanHosts) {
  const auto type = makeType("web");
  model::ClusterSnapshot snap = SnapshotBuilder().host("h1").host("h2").host("h3").type(type, 3).build();
  placeGreedily(snap, type, 3, 2);  // 6 instances: 2 per host
  EXPECT_EQ(spread(snap, "web"), 0);
}

}  // namespace
}  // namespace sm::daemon::placement

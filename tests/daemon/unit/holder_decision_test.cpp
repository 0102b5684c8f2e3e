#include "manager/daemon/reconcile/holder_decision.hpp"

#include <gtest/gtest.h>

#include "manager/daemon/reconcile/contention_plan.hpp"
#include "tests/model/snapshot_builder.hpp"

namespace sm::daemon {
namespace {

using testutil::busy;
using testutil::SnapshotBuilder;
using testutil::typeWith;
using Kind = HolderDecision::Kind;

constexpr std::int64_t kNow = 1'700'000'000'000;
const config::LogicalServiceId kL0{"web", 0};

// h1 is busier than h2: h2 ranks 0, h1 ranks 1.
model::ClusterSnapshot twoHosts(config::Constraints constraints = {}) {
  return SnapshotBuilder()
      .host("h1", busy(3))
      .host("h2", busy(0))
      .type(typeWith(1, 3, std::move(constraints)))
      .createLock(kL0)
      .build();
}

HolderDecision decide(const model::ClusterSnapshot& snapshot, const std::string& host,
                      std::int64_t registered, std::size_t queuedRank, bool yielded = false,
                      bool survivor = false) {
  return decideAsHolder({snapshot, kL0, host, kNow, registered, queuedRank, yielded, survivor});
}

TEST(HolderDecision, TheBestHostPlaces) {
  const auto d = decide(twoHosts(), "h2", 0, 0);
  EXPECT_EQ(d.kind, Kind::Place);
  EXPECT_FALSE(d.lastReplica);
  EXPECT_TRUE(decide(twoHosts(), "h2", 2, 0).lastReplica);
}

TEST(HolderDecision, AFullOrVanishedLogicalServiceIsReleased) {
  EXPECT_EQ(decide(twoHosts(), "h2", 3, 0).kind, Kind::Release);
  EXPECT_EQ(decide(twoHosts(), "h2", -1, 0).kind, Kind::Release);
  EXPECT_EQ(decide(twoHosts(), "h9", 0, 0).kind, Kind::Release);  // no host node
}

TEST(HolderDecision, AnInfeasibleHostReleasesWithTheReason) {
  config::Constraints c;
  c.denyHosts = {"h2"};
  const auto d = decide(twoHosts(c), "h2", 0, 0);
  EXPECT_EQ(d.kind, Kind::Release);
  EXPECT_NE(d.reason.find("h2"), std::string::npos) << d.reason;
}

TEST(HolderDecision, AHostThatRanksWorseThanWhenItQueuedYieldsOnce) {
  const auto d = decide(twoHosts(), "h1", 0, 0);
  EXPECT_EQ(d.kind, Kind::Yield);
  EXPECT_EQ(d.delay, kRankDelay);
  // Once only: the better host may be dead or stuck.
  EXPECT_EQ(decide(twoHosts(), "h1", 0, 0, true).kind, Kind::Place);
  // It queued at that rank, so it waited its turn already.
  EXPECT_EQ(decide(twoHosts(), "h1", 0, 1).kind, Kind::Place);
}

TEST(HolderDecision, ASurvivorNeverYields) {
  EXPECT_EQ(decide(twoHosts(), "h1", 0, 0, false, true).kind, Kind::Place);
}

}  // namespace
}  // namespace sm::daemon

#include "manager/daemon/reconcile/contention_plan.hpp"

#include <gtest/gtest.h>

#include "manager/daemon/placement/placement.hpp"
#include "tests/model/snapshot_builder.hpp"

namespace sm::daemon {
namespace {

using testutil::busy;
using testutil::makeType;
using testutil::SnapshotBuilder;
using testutil::typeWith;

constexpr std::int64_t kNow = 1'700'000'000'000;
const config::LogicalServiceId kL0{"web", 0};
const config::LogicalServiceId kL1{"web", 1};

// Three feasible hosts; h2 is the least loaded, then h3, then h1.
SnapshotBuilder threeHosts(config::Constraints constraints = {}) {
  SnapshotBuilder builder;
  builder.host("h1", busy(5))
      .host("h2", busy(0))
      .host("h3", busy(2))
      .type(typeWith(1, 1, std::move(constraints)))
      .createLock(kL0);
  return builder;
}

TEST(PlanContention, TheBestHostHasRankZero) {
  const auto snap = threeHosts().build();
  const auto best = planContention(snap, "h2", kNow);
  ASSERT_EQ(best.size(), 1u);
  EXPECT_EQ(best[0].logical, kL0);
  EXPECT_EQ(best[0].rank, 0u);
  const auto mid = planContention(snap, "h3", kNow);
  ASSERT_EQ(mid.size(), 1u);
  EXPECT_EQ(mid[0].rank, 1u);
  const auto worst = planContention(snap, "h1", kNow);
  ASSERT_EQ(worst.size(), 1u);
  EXPECT_EQ(worst[0].rank, 2u);
  EXPECT_LT(best[0].score, mid[0].score);
  EXPECT_LT(mid[0].score, worst[0].score);
}

TEST(PlanContention, PublishesThePlacementScore) {
  const auto snap = threeHosts().build();
  const auto stored = *snap.type("web")->stored;
  const placement::PlacementRequest request{stored, kL0, snap, kNow};
  for (const std::string host : {"h1", "h2", "h3"}) {
    const auto plan = planContention(snap, host, kNow);
    ASSERT_EQ(plan.size(), 1u);
    EXPECT_DOUBLE_EQ(plan[0].score, placement::score(request, snap.hosts.at(host)).value());
  }
}

TEST(PlanContention, OnlyFeasibleHostsContendAndRankAmongThemselves) {
  config::Constraints c;
  c.denyHosts = {"h2"};
  const auto snap = threeHosts(c).build();
  EXPECT_TRUE(planContention(snap, "h2", kNow).empty());
  const auto h3 = planContention(snap, "h3", kNow);
  ASSERT_EQ(h3.size(), 1u);
  EXPECT_EQ(h3[0].rank, 0u);  // h2 is not feasible, so h3 is the best
  const auto h1 = planContention(snap, "h1", kNow);
  ASSERT_EQ(h1.size(), 1u);
  EXPECT_EQ(h1[0].rank, 1u);
}

TEST(PlanContention, AHostInCooldownForTheTypeDoesNotContend) {
  auto cooling = busy(0);
  cooling.cooldowns = {{"web", kNow + 10'000, "crash loop"}};
  const auto snap = threeHosts().host("h2", cooling).build();
  EXPECT_TRUE(planContention(snap, "h2", kNow).empty());
  // Once the cooldown is over it contends again, as the best.
  const auto later = planContention(snap, "h2", kNow + 10'000);
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].rank, 0u);
}

TEST(PlanContention, SpreadsReplicasOfALogicalService) {
  // h2 already runs a replica of web/0: the others are better for the second.
  const auto snap = SnapshotBuilder()
                        .host("h1", busy(5))
                        .host("h2", busy(0))
                        .type(typeWith(1, 2))
                        .instance(kL0, "a", "h2")
                        .createLock(kL0)
                        .build();
  const auto h1 = planContention(snap, "h1", kNow);
  ASSERT_EQ(h1.size(), 1u);
  EXPECT_EQ(h1[0].rank, 0u);
  const auto h2 = planContention(snap, "h2", kNow);
  ASSERT_EQ(h2.size(), 1u);
  EXPECT_EQ(h2[0].rank, 1u);
  // The best host queues at once; a second replica on h2 waits much longer than a mere rank:
  // its rank, its one instance of the type more than h1, and its replica of this very service.
  EXPECT_EQ(h1[0].delay, std::chrono::milliseconds(0));
  EXPECT_EQ(h2[0].delay, kRankDelay + kTurnDelay + kDoubleUpDelay);
}

TEST(PlanContention, TheDelayGrowsWithTheRank) {
  const auto snap = threeHosts().build();
  EXPECT_EQ(planContention(snap, "h2", kNow).at(0).delay, std::chrono::milliseconds(0));
  EXPECT_EQ(planContention(snap, "h3", kNow).at(0).delay, kRankDelay);
  EXPECT_EQ(planContention(snap, "h1", kNow).at(0).delay, 2 * kRankDelay);
}

TEST(PlanContention, NothingForAFullLogicalService) {
  const auto snap = threeHosts().instance(kL0, "a", "h1").build();
  for (const std::string host : {"h1", "h2", "h3"}) {
    EXPECT_TRUE(planContention(snap, host, kNow).empty()) << host;
  }
}

TEST(PlanContention, NothingWithoutACreateLock) {
  const auto snap = SnapshotBuilder().host("h1").type(typeWith(1, 1)).build();
  EXPECT_TRUE(planContention(snap, "h1", kNow).empty());
}

TEST(PlanContention, NothingWhenTheHostNodeIsMissing) {
  const auto snap = threeHosts().build();
  EXPECT_TRUE(planContention(snap, "h4", kNow).empty());
}

TEST(PlanContention, NothingForAnUnreadableOwnHostNode) {
  const auto snap = threeHosts().unreadableHost("h2").build();
  EXPECT_TRUE(planContention(snap, "h2", kNow).empty());
}

TEST(PlanContention, NothingForASurplusLogicalServiceOrAGoneOne) {
  const auto snap = SnapshotBuilder()
                        .host("h1")
                        .type(typeWith(1, 1), 2)
                        .createLock(kL1)         // surplus: being scaled away
                        .createLock({"web", 9})  // its logical service is gone
                        .createLock({"db", 0})   // its type is gone
                        .build();
  EXPECT_TRUE(planContention(snap, "h1", kNow).empty());
}

TEST(PlanContention, NothingForAnUnreadableType) {
  const auto snap = SnapshotBuilder().host("h1").unreadableType("web").createLock(kL0).build();
  EXPECT_TRUE(planContention(snap, "h1", kNow).empty());
}

TEST(PlanContention, OneEntryPerShortLogicalServiceWithALock) {
  const auto snap = SnapshotBuilder()
                        .host("h1")
                        .type(typeWith(3, 1), 3)
                        .createLock(kL0)
                        .createLock({"web", 2})
                        .build();
  const auto plan = planContention(snap, "h1", kNow);
  ASSERT_EQ(plan.size(), 2u);
  EXPECT_EQ(plan[0].logical, kL0);
  EXPECT_EQ(plan[1].logical, (config::LogicalServiceId{"web", 2}));
  EXPECT_EQ(plan[0].rank, 0u);
  EXPECT_EQ(plan[1].rank, 0u);
}

}  // namespace
}  // namespace sm::daemon

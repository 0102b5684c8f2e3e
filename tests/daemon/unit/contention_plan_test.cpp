#include "manager/daemon/reconcile/contention_plan.hpp"

#include <gtest/gtest.h>

#include "tests/model/snapshot_builder.hpp"

namespace sm::daemon {
namespace {

using testutil::makeType;
using testutil::SnapshotBuilder;
using testutil::typeWith;

const config::LogicalServiceId kL0{"web", 0};
const config::LogicalServiceId kL1{"web", 1};

TEST(PlanContention, OnlyWhatThisHostIsNamedFor) {
  const auto snap = SnapshotBuilder()
                        .host("h1")
                        .host("h2")
                        .type(typeWith(2, 1), 2)
                        .assignment(kL0, "h1")
                        .assignment(kL1, "h2", 3000)
                        .build();
  const auto h1 = planContention(snap, "h1");
  ASSERT_EQ(h1.size(), 1u);
  EXPECT_EQ(h1[0].logical, kL0);
  EXPECT_EQ(h1[0].delay, std::chrono::milliseconds(0));
  const auto h2 = planContention(snap, "h2");
  ASSERT_EQ(h2.size(), 1u);
  EXPECT_EQ(h2[0].logical, kL1);
  EXPECT_EQ(h2[0].delay, std::chrono::milliseconds(3000));
}

TEST(PlanContention, NothingForANameThisHostHasSpent) {
  // Named with none of kL0's replicas, and one is on h1 now: the other replica is for others.
  const auto snap = SnapshotBuilder()
                        .host("h1")
                        .type(typeWith(1, 2))
                        .instance(kL0, "a", "h1")
                        .assignment(kL0, "h1")
                        .build();
  EXPECT_TRUE(planContention(snap, "h1").empty());
  // Named for a second one (a double-up): it still contends.
  const auto doubled = SnapshotBuilder()
                           .host("h1")
                           .type(typeWith(1, 2))
                           .instance(kL0, "a", "h1")
                           .assignment(kL0, "h1", 3000, 1)
                           .build();
  EXPECT_EQ(planContention(doubled, "h1").size(), 1u);
}

TEST(PlanContention, NothingForAFullLogicalService) {
  const auto snap = SnapshotBuilder()
                        .host("h1")
                        .type(typeWith(1, 1))
                        .instance(kL0, "a", "h2")
                        .assignment(kL0, "h1")
                        .build();
  EXPECT_TRUE(planContention(snap, "h1").empty());
}

TEST(PlanContention, NothingWhenTheHostNodeIsMissing) {
  const auto snap = SnapshotBuilder().type(typeWith(1, 1)).assignment(kL0, "h1").build();
  EXPECT_TRUE(planContention(snap, "h1").empty());
}

TEST(PlanContention, NothingForAPausedSurplusOrGoneService) {
  const auto snap = SnapshotBuilder()
                        .host("h1")
                        .type(typeWith(1, 1), 2)
                        .assignment(kL1, "h1")         // surplus: being scaled away
                        .assignment({"web", 9}, "h1")  // its logical service is gone
                        .assignment({"db", 0}, "h1")   // its type is gone
                        .build();
  EXPECT_TRUE(planContention(snap, "h1").empty());
  const auto paused =
      SnapshotBuilder().host("h1").type(typeWith(1, 1)).assignment(kL0, "h1").paused("web").build();
  EXPECT_TRUE(planContention(paused, "h1").empty());
}

}  // namespace
}  // namespace sm::daemon

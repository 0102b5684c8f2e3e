#include "manager/daemon/reconcile/handover_plan.hpp"

#include <gtest/gtest.h>

#include "tests/model/snapshot_builder.hpp"

namespace sm::daemon {
namespace {

using testutil::SnapshotBuilder;
using Strings = std::vector<std::string>;

const config::LogicalServiceId kWeb0{"web", 0};
constexpr std::int64_t kNow = 1'000'000;

Strings uuids(const std::vector<Requeue>& requeues) {
  Strings out;
  for (const auto& r : requeues) out.push_back(r.uuid + (r.master ? " (master)" : ""));
  return out;
}

// Chain a(h1) b(h2) c(h3) d(h1).
SnapshotBuilder chain() {
  return SnapshotBuilder()
      .type(testutil::typeWith(1, 4))
      .instance(kWeb0, "a", "h1")
      .instance(kWeb0, "b", "h2")
      .instance(kWeb0, "c", "h3")
      .instance(kWeb0, "d", "h1");
}

TEST(RequeuesToward, MembersBetweenTheMasterAndTheTargetGoFirstTheMasterOnlyWhenTheTargetIsNext) {
  const auto snapshot = chain().build();
  const auto& logical = *snapshot.logical(kWeb0);
  EXPECT_EQ(uuids(requeuesToward(logical, 3, "h2", "")), Strings{"b"});
  EXPECT_EQ(uuids(requeuesToward(logical, 3, "h1", "")), Strings{})
      << "the master waits until nothing stands between it and the target";
  EXPECT_EQ(uuids(requeuesToward(logical, 1, "h1", "")), Strings{"a (master)"});
  EXPECT_EQ(uuids(requeuesToward(logical, 0, "h1", "")), Strings{}) << "already master";
  EXPECT_EQ(requeuesToward(logical, 1, "h1", "").front().member, "lock-a-0")
      << "requeued once: the member it has in this snapshot";
}

TEST(PlanSwitchovers, ReordersTowardTheTargetAndEndsWhenItIsMaster) {
  auto plan = planSwitchovers(chain().switchover(kWeb0, "c", kNow + 1000).build(), "h2", kNow);
  EXPECT_EQ(uuids(plan.requeues), Strings{"b"});
  EXPECT_TRUE(plan.ends.empty());

  // b gone to the end: c is next, the master's host hands over.
  auto next = SnapshotBuilder()
                  .type(testutil::typeWith(1, 4))
                  .instance(kWeb0, "a", "h1")
                  .instance(kWeb0, "c", "h3")
                  .instance(kWeb0, "b", "h2")
                  .switchover(kWeb0, "c", kNow + 1000)
                  .build();
  EXPECT_EQ(uuids(planSwitchovers(next, "h1", kNow).requeues), Strings{"a (master)"});
  EXPECT_TRUE(planSwitchovers(next, "h3", kNow).requeues.empty());

  auto done = SnapshotBuilder()
                  .type(testutil::typeWith(1, 2))
                  .instance(kWeb0, "c", "h3")
                  .instance(kWeb0, "a", "h1")
                  .switchover(kWeb0, "c", kNow + 1000, 4)
                  .build();
  plan = planSwitchovers(done, "h3", kNow);
  ASSERT_EQ(plan.ends.size(), 1u) << "the target's host removes the request";
  EXPECT_TRUE(plan.ends.front().done);
  EXPECT_EQ(plan.ends.front().version, 4);
  EXPECT_TRUE(planSwitchovers(done, "h1", kNow).ends.empty());
}

TEST(PlanSwitchovers, AnExpiredRequestIsRemovedByTheMastersHostAndMovesNothing) {
  const auto snapshot = chain().switchover(kWeb0, "c", kNow - 1).build();
  auto plan = planSwitchovers(snapshot, "h1", kNow);
  EXPECT_TRUE(plan.requeues.empty());
  ASSERT_EQ(plan.ends.size(), 1u);
  EXPECT_FALSE(plan.ends.front().done);
  EXPECT_TRUE(planSwitchovers(snapshot, "h2", kNow).ends.empty());
}

TEST(PlanSwitchovers, ATargetThatDoesNotStandMovesNothing) {
  const auto snapshot = chain().switchover(kWeb0, "zzz", kNow + 1000).build();
  for (const auto* host : {"h1", "h2", "h3"}) {
    const auto plan = planSwitchovers(snapshot, host, kNow);
    EXPECT_TRUE(plan.requeues.empty() && plan.ends.empty()) << host;
  }
}

}  // namespace
}  // namespace sm::daemon

namespace sm::daemon {
namespace {

TEST(PlanSwitchovers, APromotionTargetIsDoneOnlyOnceItWasToldMaster) {
  auto stored = testutil::typeWith(1, 3);
  config::Promotion promotion;
  promotion.scoreExec = {"/bin/score"};
  stored.type.spec.promotion = promotion;
  const config::LogicalServiceId id{"web", 0};
  auto snapshot = SnapshotBuilder()
                      .type(stored)
                      .instance(id, "c", "h3")
                      .instance(id, "a", "h1")
                      .switchover(id, "c", kNow + 1000)
                      .build();
  // First, still a candidate (its own score runs): the request stands.
  EXPECT_TRUE(planSwitchovers(snapshot, "h3", kNow).ends.empty());
  snapshot.types.at("web").logical.at(0).election.front().data->master = true;
  const auto plan = planSwitchovers(snapshot, "h3", kNow);
  ASSERT_EQ(plan.ends.size(), 1u);
  EXPECT_TRUE(plan.ends.front().done);
}

}  // namespace
}  // namespace sm::daemon

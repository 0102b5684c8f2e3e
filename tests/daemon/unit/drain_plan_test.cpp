#include "manager/daemon/reconcile/drain_plan.hpp"

#include <gtest/gtest.h>

#include "manager/daemon/reconcile/instance_plan.hpp"
#include "manager/daemon/reconcile/persistent_plan.hpp"
#include "manager/daemon/reconcile/type_plan.hpp"
#include "tests/model/snapshot_builder.hpp"

namespace sm::daemon {
namespace {

using testutil::SnapshotBuilder;
using Strings = std::vector<std::string>;

const config::LogicalServiceId kWeb0{"web", 0};
const config::LogicalServiceId kDb0{"db", 0};
constexpr std::int64_t kNow = 1'000'000;

Strings stopped(const DrainPlan& plan) {
  Strings out;
  for (const auto& s : plan.stops) out.push_back(s.id.uuid);
  return out;
}

Strings handedOver(const DrainPlan& plan) {
  Strings out;
  for (const auto& r : plan.handovers) out.push_back(r.uuid + (r.master ? " (master)" : ""));
  return out;
}

config::Constraints onePerHost() {
  config::Constraints constraints;
  constraints.maxPerHost = 1;
  return constraints;
}

SnapshotBuilder hosts() {
  return SnapshotBuilder().host("h1").host("h2").host("h3").host("h4");
}

TEST(PlacementTarget, OneMoreWhileANonPersistentInstanceStandsOnADrainingHost) {
  auto snapshot = hosts()
                      .type(testutil::typeWith(1, 2))
                      .instance(kWeb0, "a", "h1")
                      .instance(kWeb0, "b", "h2")
                      .build();
  const auto& type = *snapshot.type("web");
  EXPECT_EQ(placementTarget(snapshot, type, *snapshot.logical(kWeb0)), 2);
  snapshot.cordons["h2"] = model::CordonView{config::CordonData{1, "", false, false}, ""};
  EXPECT_EQ(placementTarget(snapshot, type, *snapshot.logical(kWeb0)), 2) << "cordon only";
  snapshot.cordons["h2"].data->drain = true;
  EXPECT_EQ(placementTarget(snapshot, type, *snapshot.logical(kWeb0)), 3) << "a surge";
  // The surge is placed (and planned for) like any missing replica, and the surplus rule spares it.
  EXPECT_EQ(planServiceType("web", snapshot, kNow).createLocks.size(), 1u);
}

TEST(PlanDrain, TheMasterHandsOverFirstAndStopsOnlyAfterwards) {
  const auto snapshot = hosts()
                            .cordon("h1", true)
                            .type(testutil::typeWith(1, 2, onePerHost()))
                            .instance(kWeb0, "a", "h1")
                            .instance(kWeb0, "b", "h2")
                            .instance(kWeb0, "c", "h3")
                            .build();
  const auto plan = planDrain(snapshot, "h1", kNow);
  EXPECT_EQ(handedOver(plan), Strings{"a (master)"});
  EXPECT_TRUE(plan.stops.empty()) << "a master stops only once it is not master";
  EXPECT_TRUE(planDrain(snapshot, "h2", kNow).stops.empty()) << "h2 does not drain";
}

TEST(PlanDrain, ASecondaryStopsOnceItsReplacementRuns) {
  auto builder = hosts()
                     .cordon("h1", true)
                     .type(testutil::typeWith(1, 2, onePerHost()))
                     .instance(kWeb0, "b", "h2")
                     .instance(kWeb0, "a", "h1");
  EXPECT_TRUE(planDrain(builder.build(), "h1", kNow).stops.empty())
      << "h3 and h4 can take a replacement: wait for it";
  builder.instance(kWeb0, "c", "h3").state(kWeb0, "c", config::PhysicalState::Starting);
  EXPECT_TRUE(planDrain(builder.build(), "h1", kNow).stops.empty()) << "not running yet";
  builder.state(kWeb0, "c", config::PhysicalState::Running);
  EXPECT_EQ(stopped(planDrain(builder.build(), "h1", kNow)), Strings{"a"});
}

TEST(PlanDrain, WithoutRoomForAReplacementItStopsLeavingReplicationCountMinusOne) {
  auto builder = SnapshotBuilder()
                     .host("h1")
                     .host("h2")
                     .cordon("h1", true)
                     .type(testutil::typeWith(1, 2, onePerHost()))
                     .instance(kWeb0, "b", "h2")
                     .instance(kWeb0, "a", "h1");
  EXPECT_EQ(stopped(planDrain(builder.build(), "h1", kNow)), Strings{"a"});
  // Already short: stopping it would leave fewer than replicationCount - 1.
  auto shortOne = SnapshotBuilder()
                      .host("h1")
                      .cordon("h1", true)
                      .type(testutil::typeWith(1, 3))
                      .instance(kWeb0, "b", "h1")
                      .instance(kWeb0, "a", "h1")
                      .build();
  shortOne.cordons["h1"].data->drain = true;
  EXPECT_TRUE(planDrain(shortOne, "h1", kNow).stops.empty());
}

TEST(PlanDrain, OneInstanceOfALogicalServiceMovesAtATime) {
  const auto snapshot = hosts()
                            .cordon("h1", true)
                            .cordon("h2", true)
                            .type(testutil::typeWith(1, 2))
                            .instance(kWeb0, "m", "h3")
                            .instance(kWeb0, "y", "h2")
                            .instance(kWeb0, "x", "h1")
                            .instance(kWeb0, "z", "h4")
                            .build();
  // Both draining secondaries are surplus once z runs; x (the lower uuid) goes first.
  EXPECT_EQ(stopped(planDrain(snapshot, "h1", kNow)), Strings{"x"});
  EXPECT_TRUE(planDrain(snapshot, "h2", kNow).stops.empty());
}

TEST(PlanDrain, PersistentInstancesStopKeepingTheirIdentityOrAbandonItWhenAsked) {
  auto builder = hosts()
                     .cordon("h1", true)
                     .type(testutil::persistentType(1, 2))
                     .instance(kDb0, "m", "h2")
                     .instance(kDb0, "p", "h1")
                     .identity(kDb0, "m", "h2")
                     .identity(kDb0, "p", "h1", config::PersistentState::Running, 1);
  auto plan = planDrain(builder.build(), "h1", kNow);
  ASSERT_EQ(plan.stops.size(), 1u);
  EXPECT_EQ(plan.stops.front().identity, DrainStop::Identity::Keep);
  EXPECT_TRUE(planResumes(builder.build(), "h1", {}).empty())
      << "a draining host starts nothing again";
  builder.cordon("h1", true, true);
  plan = planDrain(builder.build(), "h1", kNow);
  ASSERT_EQ(plan.stops.size(), 1u);
  EXPECT_EQ(plan.stops.front().identity, DrainStop::Identity::Abandon);
}

TEST(PlanDrain, NothingOfAPausedType) {
  const auto snapshot = SnapshotBuilder()
                            .host("h1")
                            .host("h2")
                            .cordon("h1", true)
                            .paused("web")
                            .type(testutil::typeWith(1, 2))
                            .instance(kWeb0, "b", "h2")
                            .instance(kWeb0, "a", "h1")
                            .build();
  const auto plan = planDrain(snapshot, "h1", kNow);
  EXPECT_TRUE(plan.stops.empty() && plan.handovers.empty());
}

TEST(Pause, ThePlansChangeNothingOfAPausedTypeButSayWhy) {
  const auto snapshot = SnapshotBuilder()
                            .host("h1")
                            .paused("web", "disk repair")
                            .type(testutil::typeWith(2, 3), 3)
                            .instance(kWeb0, "a", "h1")
                            .build();
  const auto plan = planServiceType("web", snapshot, kNow);
  EXPECT_EQ(plan.createLogical, 0);
  EXPECT_TRUE(plan.createLocks.empty() && plan.removeLogical.empty() && plan.identities.empty());
  ASSERT_FALSE(plan.statuses.empty());
  EXPECT_EQ(plan.statuses.front().second.reason,
            "paused: disk repair; 2 replicas missing, not placed while paused");
}

TEST(Pause, AScaledAwayInstanceKeepsRunningWhilePaused) {
  auto builder = SnapshotBuilder()
                     .host("h1")
                     .type(testutil::typeWith(0, 1))
                     .instance(kWeb0, "a", "h1");
  LocalInstanceView instance{{kWeb0, "a"}, {}, true, true, Phase::Running, 42};
  instance.spec.command = {"/bin/true"};
  auto stops = [&] {
    const auto actions = planInstances(builder.build(), {instance});
    return std::count_if(actions.begin(), actions.end(), [](const InstanceAction& a) {
      return a.kind == InstanceAction::Kind::Stop;
    });
  };
  ASSERT_EQ(stops(), 1) << "stopped when not paused";
  builder.paused("web");
  EXPECT_EQ(stops(), 0);
}

TEST(MasterEligibility, AStatusSaysWhenNoInstanceMayLead) {
  config::Constraints constraints;
  constraints.masterHosts = {"h1", "h2"};
  const auto snapshot = SnapshotBuilder()
                            .host("h3")
                            .type(testutil::typeWith(1, 1, constraints))
                            .instance(kWeb0, "a", "h3", false)
                            .build();
  const auto status =
      statusOf(*snapshot.type("web"), *snapshot.logical(kWeb0), snapshot, kNow);
  EXPECT_EQ(status.reason,
            "no eligible instance can become master (masterHosts [h1, h2] do not match h3)");
}

}  // namespace
}  // namespace sm::daemon

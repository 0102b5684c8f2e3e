#include "manager/daemon/reconcile/persistent_plan.hpp"

#include <gtest/gtest.h>

#include "manager/daemon/reconcile/assignment_plan.hpp"
#include "manager/daemon/reconcile/instance_plan.hpp"
#include "manager/daemon/reconcile/type_plan.hpp"
#include "tests/model/snapshot_builder.hpp"

namespace sm::daemon {
namespace {

using config::PersistentState;
using testutil::SnapshotBuilder;
using Strings = std::vector<std::string>;

const config::LogicalServiceId kDb0{"db", 0};
constexpr std::int64_t kNow = 1'000'000;

Strings resumed(const std::vector<Resume>& resumes) {
  Strings uuids;
  for (const auto& r : resumes) uuids.push_back(r.id.uuid);
  return uuids;
}

TEST(OccupiedReplicas, CountsLiveIdentitiesThatAreNotRegisteredButNotAbandonedOnes) {
  const auto snapshot = SnapshotBuilder()
                            .host("h1")
                            .type(testutil::persistentType(1, 3))
                            .instance(kDb0, "a", "h1")
                            .identity(kDb0, "a", "h1")
                            .identity(kDb0, "b", "h2", PersistentState::Lost, 1, kNow)
                            .identity(kDb0, "c", "h3", PersistentState::Abandoned, 2)
                            .build();
  EXPECT_EQ(occupiedReplicas(snapshot, *snapshot.logical(kDb0)), 2);
  EXPECT_EQ(occupiedReplicas(snapshot, kDb0, {"a", "z"}), 3) << "a fresh read's registrations";
}

TEST(OccupiedReplicas, IgnoresIdentitiesOfATypeThatIsNotPersistent) {
  auto snapshot = SnapshotBuilder().type(testutil::typeWith(1, 2)).identity({"web", 0}, "a", "h1")
                      .build();
  EXPECT_EQ(occupiedReplicas(snapshot, *snapshot.logical({"web", 0})), 0);
}

TEST(PlanResumes, StartsThisHostsIdentitiesThatRunNowhere) {
  const auto snapshot = SnapshotBuilder()
                            .host("h1")
                            .type(testutil::persistentType(1, 3))
                            .identity(kDb0, "running-elsewhere", "h2")
                            .identity(kDb0, "registered", "h1", PersistentState::Running, 1)
                            .instance(kDb0, "registered", "h1")
                            .identity(kDb0, "stopped", "h1", PersistentState::Stopped, 2)
                            .identity(kDb0, "local", "h1", PersistentState::Running, 3)
                            .build();
  EXPECT_EQ(resumed(planResumes(snapshot, "h1", {"local"})), Strings{"stopped"});
}

TEST(PlanResumes, AHostBackWithinItsGraceResumesItsLostIdentity) {
  const auto snapshot = SnapshotBuilder()
                            .host("h1")
                            .type(testutil::persistentType(1, 1))
                            .identity(kDb0, "a", "h1", PersistentState::Lost, 0, kNow - 5000)
                            .build();
  EXPECT_EQ(resumed(planResumes(snapshot, "h1", {})), Strings{"a"});
}

TEST(PlanResumes, NeverAnAbandonedOneASurplusOneOrOneOfAScaledAwayLogicalService) {
  const config::LogicalServiceId db1{"db", 1};
  const auto snapshot = SnapshotBuilder()
                            .host("h1")
                            .type(testutil::persistentType(1, 1), 2)
                            .identity(kDb0, "abandoned", "h1", PersistentState::Abandoned, 0)
                            .identity(kDb0, "oldest", "h2", PersistentState::Running, 1)
                            .identity(kDb0, "surplus", "h1", PersistentState::Running, 2)
                            .identity(db1, "scaled-away", "h1")
                            .build();
  EXPECT_TRUE(planResumes(snapshot, "h1", {}).empty());
}

TEST(PlanResumes, NothingForATypeThatIsGone) {
  const auto snapshot = SnapshotBuilder().host("h1").identity(kDb0, "a", "h1").build();
  EXPECT_TRUE(planResumes(snapshot, "h1", {}).empty()) << "its record waits for the type";
}

TEST(PlanIdentities, AGoneHostsIdentityIsLostThenAbandonedAfterTheGrace) {
  auto snapshot = SnapshotBuilder()
                      .host("h1")
                      .type(testutil::persistentType(1, 3, 60))
                      .identity(kDb0, "running", "gone")
                      .identity(kDb0, "here", "h1", PersistentState::Running, 2)
                      .build();
  auto changes = planIdentities(snapshot, "db", kNow);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].uuid, "running");
  EXPECT_EQ(changes[0].kind, IdentityChange::Kind::Set);
  EXPECT_EQ(changes[0].data.state, PersistentState::Lost);
  EXPECT_EQ(changes[0].data.lostSince, kNow);
  EXPECT_EQ(changes[0].version, 3) << "fenced on the version it was read at";

  snapshot = SnapshotBuilder()
                 .host("h1")
                 .type(testutil::persistentType(1, 2, 60))
                 .identity(kDb0, "young", "gone", PersistentState::Lost, 0, kNow - 59'999)
                 .identity(kDb0, "old", "gone", PersistentState::Lost, 1, kNow - 60'000)
                 .build();
  changes = planIdentities(snapshot, "db", kNow);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].uuid, "old");
  EXPECT_EQ(changes[0].data.state, PersistentState::Abandoned);
}

TEST(PlanIdentities, AStoppedOneStaysStoppedAndItsGraceCountsFromItsStop) {
  auto builder = SnapshotBuilder().type(testutil::persistentType(1, 2, 60));
  builder.identity(kDb0, "a", "away", PersistentState::Stopped, 0);
  auto snapshot = builder.build();
  snapshot.persistent["db"]["a"].data->lastStopped = kNow - 30'000;
  EXPECT_TRUE(planIdentities(snapshot, "db", kNow).empty()) << "its manager stopped it on purpose";
  EXPECT_EQ(nextGraceEnd(snapshot, kNow), kNow + 30'000);
  const auto changes = planIdentities(snapshot, "db", kNow + 30'000);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].data.state, PersistentState::Abandoned);
}

TEST(PlanIdentities, TheLoopWakesWhenTheNextGraceEnds) {
  const auto snapshot = SnapshotBuilder()
                            .type(testutil::persistentType(1, 3, 60))
                            .identity(kDb0, "a", "gone", PersistentState::Lost, 0, kNow - 10'000)
                            .identity(kDb0, "b", "gone", PersistentState::Lost, 1, kNow - 20'000)
                            .identity(kDb0, "c", "gone", PersistentState::Lost, 2, kNow - 90'000)
                            .build();
  EXPECT_EQ(nextGraceEnd(snapshot, kNow), kNow + 40'000) << "b's; c's is over already";
  EXPECT_FALSE(nextGraceEnd(SnapshotBuilder().build(), kNow));
}

TEST(PlanIdentities, ALostIdentityWhoseHostIsBackIsLeftToThatHost) {
  const auto snapshot = SnapshotBuilder()
                            .host("h1")
                            .type(testutil::persistentType(1, 1, 60))
                            .identity(kDb0, "a", "h1", PersistentState::Lost, 0, kNow - 120'000)
                            .build();
  EXPECT_TRUE(planIdentities(snapshot, "db", kNow).empty());
}

TEST(PlanIdentities, SurplusIdentitiesGoOnceNothingRunsThemNewestFirst) {
  const auto snapshot = SnapshotBuilder()
                            .host("h1")
                            .host("h2")
                            .host("h3")
                            .type(testutil::persistentType(1, 1))
                            .identity(kDb0, "oldest", "h1", PersistentState::Running, 1)
                            .identity(kDb0, "registered", "h2", PersistentState::Running, 2)
                            .instance(kDb0, "registered", "h2")
                            .identity(kDb0, "newest", "h3", PersistentState::Stopped, 3)
                            .build();
  const auto changes = planIdentities(snapshot, "db", kNow);
  ASSERT_EQ(changes.size(), 1u) << "the registered surplus one is stopped by its manager first";
  EXPECT_EQ(changes[0].kind, IdentityChange::Kind::Remove);
  EXPECT_EQ(changes[0].uuid, "newest");
}

TEST(PersistentPlacement, NoNewIdentityWhileTheLiveOnesFillTheLogicalService) {
  auto builder = SnapshotBuilder()
                     .host("h1")
                     .host("h2")
                     .type(testutil::persistentType(1, 2))
                     .createLock(kDb0)
                     .identity(kDb0, "a", "h1", PersistentState::Stopped, 1);
  EXPECT_EQ(planAssignments(builder.build(), "db", kNow).create.size(), 1u)
      << "one place is free";
  builder.identity(kDb0, "b", "h2", PersistentState::Lost, 2, kNow);
  EXPECT_TRUE(planAssignments(builder.build(), "db", kNow).create.empty())
      << "a lost identity keeps its place until its grace ends";
  builder.identity(kDb0, "b", "h2", PersistentState::Abandoned, 2, kNow);
  EXPECT_EQ(planAssignments(builder.build(), "db", kNow).create.size(), 1u);
}

TEST(PersistentPlacement, TheStatusSaysWhichReplicaWaitsForItsHost) {
  const auto snapshot = SnapshotBuilder()
                            .host("h1")
                            .type(testutil::persistentType(1, 1, 300))
                            .identity(kDb0, "a", "h2", PersistentState::Lost, 0, kNow - 20'000)
                            .build();
  const auto status = statusOf(*snapshot.type("db"), *snapshot.logical(kDb0), snapshot, kNow);
  EXPECT_EQ(status.registered, 0);
  EXPECT_EQ(status.reason, "1 persistent replica waits for its host: a on h2 (lost, abandoned "
                           "after its 300 s grace)");
  EXPECT_TRUE(planServiceType("db", snapshot, kNow).createLocks.empty()) << "nothing to place";
}

TEST(PersistentInstances, AnAbandonedIdentityStillRunningIsStopped) {
  const auto snapshot = SnapshotBuilder()
                            .host("h1")
                            .type(testutil::persistentType(1, 1))
                            .instance(kDb0, "a", "h1")
                            .identity(kDb0, "a", "h1", PersistentState::Abandoned)
                            .build();
  LocalInstanceView local{{kDb0, "a"}, snapshot.type("db")->stored->type.spec, true, true};
  const auto actions = planInstances(snapshot, {local});
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, InstanceAction::Kind::Stop);
  EXPECT_EQ(actions[0].reason, "its persistent identity was abandoned while its host was gone");
}

TEST(PersistentInstances, SurplusByAgeNotByPlaceInTheChain) {
  // The master is the newest identity: it is the one that goes when replicationCount drops to 1.
  const auto snapshot = SnapshotBuilder()
                            .host("h1")
                            .type(testutil::persistentType(1, 1))
                            .instance(kDb0, "new", "h1")
                            .instance(kDb0, "old", "h1")
                            .identity(kDb0, "new", "h1", PersistentState::Running, 2)
                            .identity(kDb0, "old", "h1", PersistentState::Running, 1)
                            .build();
  const auto spec = snapshot.type("db")->stored->type.spec;
  const auto actions = planInstances(
      snapshot, {LocalInstanceView{{kDb0, "new"}, spec, true, true},
                 LocalInstanceView{{kDb0, "old"}, spec, true, true}});
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].uuid, "new");
  EXPECT_EQ(actions[0].kind, InstanceAction::Kind::Stop);
}

}  // namespace
}  // namespace sm::daemon

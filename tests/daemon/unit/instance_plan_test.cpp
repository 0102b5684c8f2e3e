#include "manager/daemon/reconcile/instance_plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/model/snapshot_builder.hpp"

namespace sm::daemon {
namespace {

using testutil::makeType;
using testutil::SnapshotBuilder;
using testutil::typeAtGeneration;
using testutil::typeWith;
using Kind = InstanceAction::Kind;
using Strings = std::vector<std::string>;

const config::LogicalServiceId kL0{"web", 0};
const config::LogicalServiceId kL1{"web", 1};

// The spec of makeType, which the instances below were started from unless a test says otherwise.
config::ServiceSpec currentSpec() {
  return makeType("web").type.spec;
}

config::ServiceSpec otherProcessSpec() {
  auto spec = currentSpec();
  spec.command = {"/bin/old"};
  return spec;
}

LocalInstanceView local(const config::LogicalServiceId& logical, const std::string& uuid,
                        config::ServiceSpec spec = currentSpec(), bool ready = true,
                        bool registered = true) {
  return LocalInstanceView{{logical, uuid}, std::move(spec), registered, ready};
}

Strings stopped(const std::vector<InstanceAction>& actions) {
  Strings uuids;
  for (const auto& action : actions) {
    if (action.kind == Kind::Stop) uuids.push_back(action.uuid);
  }
  std::sort(uuids.begin(), uuids.end());
  return uuids;
}

Strings updated(const std::vector<InstanceAction>& actions) {
  Strings uuids;
  for (const auto& action : actions) {
    if (action.kind == Kind::Update) uuids.push_back(action.uuid);
  }
  std::sort(uuids.begin(), uuids.end());
  return uuids;
}

const InstanceAction* actionFor(const std::vector<InstanceAction>& actions,
                                const std::string& uuid) {
  for (const auto& action : actions) {
    if (action.uuid == uuid) return &action;
  }
  return nullptr;
}

// Carries the actions out as the manager would: updates rewrite the znode, a stop removes the
// instance's znodes and process.
void apply(const std::vector<InstanceAction>& actions, model::ClusterSnapshot& snapshot,
           std::vector<LocalInstanceView>& instances) {
  for (const auto& action : actions) {
    auto it = std::find_if(instances.begin(), instances.end(),
                           [&](const auto& i) { return i.id.uuid == action.uuid; });
    ASSERT_NE(it, instances.end());
    const auto id = it->id;
    if (action.kind == Kind::Update) {
      SnapshotBuilder::physical(snapshot, id.logical, id.uuid).data = action.data;
      continue;
    }
    if (auto type = snapshot.types.find(id.logical.type); type != snapshot.types.end()) {
      if (auto logical = type->second.logical.find(id.logical.sequence);
          logical != type->second.logical.end()) {
        logical->second.physical.erase(id.uuid);
        std::erase_if(logical->second.election,
                      [&](const auto& m) { return m.data && m.data->physical == id.uuid; });
      }
    }
    instances.erase(it);
  }
}

// --- gone from the tree ---

TEST(PlanInstances, StopsAnInstanceWhosePhysicalZnodeIsGone) {
  const auto snap = SnapshotBuilder().type(typeWith(1, 1)).build();
  const auto actions = planInstances(snap, {local(kL0, "a")});
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, Kind::Stop);
  EXPECT_EQ(actions[0].uuid, "a");
  EXPECT_EQ(actions[0].reason, "its physicalService znode was removed");
}

TEST(PlanInstances, StopsAnInstanceWhoseTypeIsDeleted) {
  const auto snap = SnapshotBuilder().type(makeType("db")).build();
  const auto actions = planInstances(snap, {local(kL0, "a")});
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, Kind::Stop);
  EXPECT_EQ(actions[0].reason, "its service type was deleted");
}

TEST(PlanInstances, StopsAnInstanceWhoseLogicalServiceIsRemoved) {
  const auto snap = SnapshotBuilder().type(typeWith(1, 1)).instance(kL0, "a", "h1").build();
  const auto actions = planInstances(snap, {local(kL0, "a"), local({"web", 4}, "b")});
  EXPECT_EQ(stopped(actions), (Strings{"b"}));
  EXPECT_EQ(actionFor(actions, "b")->reason, "its logical service was removed");
}

TEST(PlanInstances, AnUnreadableTypeStopsNothing) {
  auto snap = SnapshotBuilder().unreadableType("web").build();
  SnapshotBuilder::addInstance(snap, kL0, "a", "h1");
  SnapshotBuilder::addInstance(snap, kL0, "b", "h1");
  SnapshotBuilder::physical(snap, kL0, "b").data->state = config::PhysicalState::Starting;
  EXPECT_TRUE(planInstances(snap, {local(kL0, "a"), local(kL0, "b"), local(kL0, "gone")}).empty());
}

TEST(PlanInstances, NothingForAnUnregisteredInstance) {
  // Not registered yet: neither its missing znode nor its readiness is acted on.
  const auto snap = SnapshotBuilder().type(typeWith(1, 1)).build();
  EXPECT_TRUE(planInstances(snap, {local(kL0, "a", currentSpec(), true, false)}).empty());
  const auto deleted = SnapshotBuilder().build();
  EXPECT_TRUE(planInstances(deleted, {local(kL0, "a", currentSpec(), true, false)}).empty());
}

// --- restarts in place ---

TEST(PlanInstances, ARestartingInstanceIsShownRestartingWithoutAPid) {
  // The tree still says running with the old pid (its write was lost, say): the plan corrects it.
  const auto snap =
      SnapshotBuilder().type(typeWith(1, 1)).instance(kL0, "a", "h1", /*elect=*/false).build();
  auto view = local(kL0, "a", currentSpec(), false);
  view.phase = Phase::Restarting;
  const auto actions = planInstances(snap, {view});
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, Kind::Update);
  EXPECT_EQ(actions[0].data.state, config::PhysicalState::Restarting);
  EXPECT_EQ(actions[0].data.pid, 0);
}

TEST(PlanInstances, ARestartedInstanceShowsItsNewPid) {
  const auto snap = SnapshotBuilder().type(typeWith(1, 1)).instance(kL0, "a", "h1").build();
  auto view = local(kL0, "a");
  view.pid = 4243;
  const auto actions = planInstances(snap, {view});
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, Kind::Update);
  EXPECT_EQ(actions[0].data.pid, 4243);
  EXPECT_EQ(actions[0].data.state, config::PhysicalState::Running);
}

TEST(PlanInstances, ARestartingInstanceCountsAsAReplica) {
  // Out of the election, but still one of the replicas: not surplus, not stopped.
  const auto snap = SnapshotBuilder()
                        .type(typeWith(1, 2))
                        .instance(kL0, "m", "h2")
                        .instance(kL0, "a", "h1", /*elect=*/false)
                        .state(kL0, "a", config::PhysicalState::Restarting)
                        .build();
  auto view = local(kL0, "a", currentSpec(), false);
  view.phase = Phase::Restarting;
  EXPECT_TRUE(stopped(planInstances(snap, {view})).empty());
}

// --- survivors of an expired session ---

LocalInstanceView survivor(const config::LogicalServiceId& logical, const std::string& uuid,
                           config::ServiceSpec spec = currentSpec()) {
  auto view = local(logical, uuid, std::move(spec), true, false);
  view.phase = Phase::Survivor;
  return view;
}

std::string survivorReason(const model::ClusterSnapshot& snap, const LocalInstanceView& view) {
  const auto actions = planInstances(snap, {view});
  if (actions.empty()) return "";
  EXPECT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, Kind::Stop);
  return actions[0].reason;
}

TEST(PlanInstances, ASurvivorWhoseLogicalServiceIsShortIsKept) {
  const auto snap = SnapshotBuilder().type(typeWith(1, 3)).instance(kL0, "b", "h2").build();
  EXPECT_EQ(survivorReason(snap, survivor(kL0, "a")), "");
}

TEST(PlanInstances, ASurvivorIsStoppedWhenItsLogicalServiceIsFullWithoutIt) {
  const auto snap = SnapshotBuilder()
                        .type(typeWith(1, 2))
                        .instance(kL0, "b", "h2")
                        .instance(kL0, "c", "h3")
                        .build();
  EXPECT_EQ(survivorReason(snap, survivor(kL0, "a")),
            "survivor of an expired session: its logical service has its 2 replicas without it");
}

TEST(PlanInstances, ASurvivorIsStoppedWhenItsTypeOrLogicalServiceWent) {
  EXPECT_EQ(survivorReason(SnapshotBuilder().build(), survivor(kL0, "a")),
            "survivor of an expired session: its service type was deleted");
  const auto snap = SnapshotBuilder().type(typeWith(1, 2)).build();
  EXPECT_EQ(survivorReason(snap, survivor({"web", 4}, "a")),
            "survivor of an expired session: its logical service was removed");
}

TEST(PlanInstances, ASurvivorIsStoppedWhenScaledAwayOrOutdated) {
  const auto snap = SnapshotBuilder().type(typeWith(1, 2), 2).build();
  EXPECT_EQ(survivorReason(snap, survivor(kL1, "a")),
            "survivor of an expired session: its logical service is scaled away");
  EXPECT_NE(
      survivorReason(snap, survivor(kL0, "a", otherProcessSpec())).find("older process template"),
      std::string::npos);
}

TEST(PlanInstances, ASurvivorOfAnUnreadableTypeIsKept) {
  const auto snap = SnapshotBuilder().unreadableType("web").build();
  EXPECT_EQ(survivorReason(snap, survivor(kL0, "a")), "");
}

// --- surplus ---

TEST(PlanInstances, StopsReplicasBeyondReplicationCountInFailoverOrder) {
  const auto snap = SnapshotBuilder()
                        .type(typeWith(1, 2))
                        .instance(kL0, "m", "h1")
                        .instance(kL0, "s", "h2")
                        .instance(kL0, "a", "h3", /*elect=*/false)
                        .instance(kL0, "t", "h4")
                        .build();
  // Failover order: m, s, t, a; two are wanted.
  const auto actions =
      planInstances(snap, {local(kL0, "m"), local(kL0, "s"), local(kL0, "a"), local(kL0, "t")});
  EXPECT_EQ(stopped(actions), (Strings{"a", "t"}));
  EXPECT_EQ(actionFor(actions, "t")->reason,
            "replicationCount is 2 and it is number 3 in the failover chain");
  EXPECT_EQ(actionFor(actions, "a")->reason,
            "replicationCount is 2 and it is number 4 in the failover chain");
}

TEST(PlanInstances, TheMasterIsNeverSurplus) {
  const auto snap = SnapshotBuilder()
                        .type(typeWith(1, 1))
                        .instance(kL0, "z", "h1")
                        .instance(kL0, "a", "h2")
                        .build();
  EXPECT_EQ(stopped(planInstances(snap, {local(kL0, "z"), local(kL0, "a")})), (Strings{"a"}));
}

// --- scale-away ---

TEST(PlanInstances, ScaleAwayStopsSecondariesFirst) {
  const auto snap = SnapshotBuilder()
                        .type(typeWith(1, 2), 2)
                        .instance(kL0, "x", "h1")
                        .instance(kL1, "m", "h1")
                        .instance(kL1, "s", "h2")
                        .build();
  const auto actions = planInstances(snap, {local(kL0, "x"), local(kL1, "m"), local(kL1, "s")});
  EXPECT_EQ(stopped(actions), (Strings{"s"}));
  EXPECT_EQ(actionFor(actions, "s")->reason, "its logical service is scaled away");
}

TEST(PlanInstances, ScaleAwayStopsTheMasterOnlyWhenAlone) {
  const auto snap = SnapshotBuilder()
                        .type(typeWith(1, 2), 2)
                        .instance(kL0, "x", "h1")
                        .instance(kL1, "m", "h1")
                        .build();
  const auto actions = planInstances(snap, {local(kL0, "x"), local(kL1, "m")});
  EXPECT_EQ(stopped(actions), (Strings{"m"}));
  EXPECT_EQ(actionFor(actions, "m")->reason, "its logical service is scaled away");
}

TEST(PlanInstances, ScaleAwayEndsInTwoSteps) {
  auto snap = SnapshotBuilder()
                  .type(typeWith(1, 2), 2)
                  .instance(kL1, "m", "h1")
                  .instance(kL1, "s", "h2")
                  .build();
  std::vector<LocalInstanceView> instances{local(kL1, "m"), local(kL1, "s")};
  auto actions = planInstances(snap, instances);
  EXPECT_EQ(stopped(actions), (Strings{"s"}));
  apply(actions, snap, instances);
  actions = planInstances(snap, instances);
  EXPECT_EQ(stopped(actions), (Strings{"m"}));
  apply(actions, snap, instances);
  EXPECT_TRUE(planInstances(snap, instances).empty());
}

// --- rolling replace ---

class RollingReplace : public ::testing::Test {
 protected:
  // Generation 2 changed the process; m (master) and s (secondary) run generation 1.
  SnapshotBuilder tree() {
    SnapshotBuilder builder;
    builder.type(typeAtGeneration(1, 2, 2)).instance(kL0, "m", "h1").instance(kL0, "s", "h2");
    return builder;
  }
};

TEST_F(RollingReplace, StopsOnlyTheInstanceNextToReplaceNames) {
  const auto actions = planInstances(
      tree().build(), {local(kL0, "m", otherProcessSpec()), local(kL0, "s", otherProcessSpec())});
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, Kind::Stop);
  EXPECT_EQ(actions[0].uuid, "s");
  EXPECT_EQ(actions[0].reason, "rolling replace to generation 2");
}

TEST_F(RollingReplace, TheMasterGoesOnceTheSecondaryIsCurrent) {
  const auto snap = tree().generation(kL0, "s", 2).build();
  const auto actions = planInstances(snap, {local(kL0, "m", otherProcessSpec()), local(kL0, "s")});
  EXPECT_EQ(stopped(actions), (Strings{"m"}));
}

TEST_F(RollingReplace, WaitsWhileTheReplacementStarts) {
  auto snap = tree().build();
  SnapshotBuilder::physical(snap, kL0, "s").data->state = config::PhysicalState::Starting;
  SnapshotBuilder::physical(snap, kL0, "s").data->generation = 2;
  const auto actions =
      planInstances(snap, {local(kL0, "m", otherProcessSpec()), local(kL0, "s", currentSpec(),
                                                                      /*ready=*/false)});
  EXPECT_TRUE(stopped(actions).empty());
  EXPECT_TRUE(actions.empty());
}

TEST_F(RollingReplace, ASameProcessTemplateIsUpdatedNotStopped) {
  // Generation 2 changed the process, yet s and m run its template (the file went back to what
  // they started from): they are brought to generation 2 in place.
  const auto actions = planInstances(tree().build(), {local(kL0, "m"), local(kL0, "s")});
  EXPECT_TRUE(stopped(actions).empty());
  EXPECT_EQ(updated(actions), (Strings{"m", "s"}));
  for (const auto& action : actions) EXPECT_EQ(action.data.generation, 2);
}

TEST(PlanInstances, AScaleWritesNothingToTheInstancesThatStay) {
  // Generation 3 changed the counts alone: the template still dates from generation 1, which the
  // instances run. Nothing to replace, nothing to rewrite.
  const auto snap = SnapshotBuilder()
                        .type(typeAtGeneration(1, 2, 3, 1))
                        .instance(kL0, "m", "h1")
                        .instance(kL0, "s", "h2")
                        .build();
  EXPECT_TRUE(planInstances(snap, {local(kL0, "m"), local(kL0, "s")}).empty());
}

TEST_F(RollingReplace, ReplicationOneReplacesTheMaster) {
  const auto snap =
      SnapshotBuilder().type(typeAtGeneration(1, 1, 2)).instance(kL0, "m", "h1").build();
  EXPECT_EQ(stopped(planInstances(snap, {local(kL0, "m", otherProcessSpec())})), (Strings{"m"}));
}

TEST_F(RollingReplace, AfterTheStopNothingMoreUntilTheReplacementRuns) {
  auto snap = tree().build();
  std::vector<LocalInstanceView> instances{local(kL0, "m", otherProcessSpec()),
                                           local(kL0, "s", otherProcessSpec())};
  const auto actions = planInstances(snap, instances);
  ASSERT_EQ(stopped(actions), (Strings{"s"}));
  apply(actions, snap, instances);
  EXPECT_TRUE(planInstances(snap, instances).empty());
}

// --- updates ---

TEST(PlanInstances, UpdateWhenReadyFlipsStateToRunning) {
  const auto snap = SnapshotBuilder()
                        .type(typeWith(1, 1))
                        .instance(kL0, "a", "h1")
                        .state(kL0, "a", config::PhysicalState::Starting)
                        .build();
  const auto actions = planInstances(snap, {local(kL0, "a")});
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, Kind::Update);
  EXPECT_EQ(actions[0].uuid, "a");
  auto expected = *snap.logical(kL0)->physical.at("a").data;
  expected.state = config::PhysicalState::Running;
  EXPECT_EQ(actions[0].data, expected);
}

TEST(PlanInstances, NoUpdateWhileNotReady) {
  const auto snap = SnapshotBuilder()
                        .type(typeWith(1, 1))
                        .instance(kL0, "a", "h1")
                        .state(kL0, "a", config::PhysicalState::Starting)
                        .build();
  EXPECT_TRUE(planInstances(snap, {local(kL0, "a", currentSpec(), /*ready=*/false)}).empty());
}

TEST(PlanInstances, UpdateBumpsTheGenerationWhenTheTemplateIsTheSame) {
  const auto snap =
      SnapshotBuilder().type(typeAtGeneration(1, 1, 3)).instance(kL0, "a", "h1").build();
  const auto actions = planInstances(snap, {local(kL0, "a")});
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, Kind::Update);
  EXPECT_EQ(actions[0].data.generation, 3);
  EXPECT_EQ(actions[0].data.state, config::PhysicalState::Running);
  EXPECT_EQ(actions[0].data.host, "h1");
}

TEST(PlanInstances, NoGenerationBumpWhenTheTemplateDiffers) {
  // Not next to replace (short of replicas): it waits, and keeps its old generation.
  const auto snap =
      SnapshotBuilder().type(typeAtGeneration(1, 2, 3)).instance(kL0, "a", "h1").build();
  EXPECT_TRUE(planInstances(snap, {local(kL0, "a", otherProcessSpec())}).empty());
}

TEST(PlanInstances, AnUndecodableInstanceOfOursIsWrittenAgain) {
  const auto snap =
      SnapshotBuilder().type(typeAtGeneration(1, 1, 2)).undecodableInstance(kL0, "a").build();
  const auto actions = planInstances(snap, {local(kL0, "a")});
  ASSERT_EQ(actions.size(), 1u);
  EXPECT_EQ(actions[0].kind, Kind::Rewrite);
  EXPECT_EQ(actions[0].uuid, "a");
}

TEST(PlanInstances, NothingWhenEverythingIsCurrent) {
  const auto snap = SnapshotBuilder()
                        .type(typeWith(1, 2))
                        .instance(kL0, "m", "h1")
                        .instance(kL0, "s", "h2")
                        .build();
  EXPECT_TRUE(planInstances(snap, {local(kL0, "m"), local(kL0, "s")}).empty());
}

// --- idempotence ---

TEST(PlanInstances, RunningTwiceOnTheResultingStatePlansNothing) {
  auto snap = SnapshotBuilder()
                  .type(typeAtGeneration(1, 2, 4), 2)
                  .instance(kL0, "m", "h1")
                  .instance(kL0, "s", "h2")
                  .state(kL0, "s", config::PhysicalState::Starting)
                  .instance(kL0, "extra", "h3")
                  .instance(kL1, "away", "h1")
                  .build();
  std::vector<LocalInstanceView> instances{local(kL0, "m"),
                                           local(kL0, "s"),
                                           local(kL0, "extra"),
                                           local(kL1, "away"),
                                           local({"web", 7}, "orphan"),
                                           local(kL0, "new", currentSpec(), false, false)};
  const auto first = planInstances(snap, instances);
  EXPECT_EQ(stopped(first), (Strings{"away", "extra", "orphan"}));
  EXPECT_EQ(updated(first), (Strings{"m", "s"}));
  apply(first, snap, instances);
  const auto second = planInstances(snap, instances);
  EXPECT_TRUE(second.empty()) << second.size() << " actions, first for " << second[0].uuid;
}

}  // namespace
}  // namespace sm::daemon

#include "manager/daemon/reconcile/logical_services.hpp"

#include <gtest/gtest.h>

#include "tests/model/snapshot_builder.hpp"

namespace sm::daemon {
namespace {

using testutil::makeType;
using testutil::SnapshotBuilder;
using testutil::typeAtGeneration;
using testutil::typeWith;
using Strings = std::vector<std::string>;

// --- isWanted ---

TEST(IsWanted, TheServiceCountLowestSequencesAreWanted) {
  auto snap = SnapshotBuilder().type(typeWith(2, 1), 0).build();
  auto& view = snap.types.at("web");
  for (std::int64_t seq : {0, 3, 7}) view.logical[seq].id = {"web", seq};
  EXPECT_TRUE(isWanted(view, 0));
  EXPECT_TRUE(isWanted(view, 3));
  EXPECT_FALSE(isWanted(view, 7));  // scale-down removes the highest-numbered first
}

TEST(IsWanted, AllWantedWhenThereAreFewerThanServiceCount) {
  const auto snap = SnapshotBuilder().type(typeWith(5, 1), 2).build();
  const auto& view = snap.types.at("web");
  EXPECT_TRUE(isWanted(view, 0));
  EXPECT_TRUE(isWanted(view, 1));
}

TEST(IsWanted, AnUnknownSequenceIsNotWanted) {
  const auto snap = SnapshotBuilder().type(typeWith(3, 1), 2).build();
  EXPECT_FALSE(isWanted(snap.types.at("web"), 9));
}

TEST(IsWanted, ServiceCountZeroWantsNone) {
  const auto snap = SnapshotBuilder().type(typeWith(0, 1), 2).build();
  EXPECT_FALSE(isWanted(snap.types.at("web"), 0));
  EXPECT_FALSE(isWanted(snap.types.at("web"), 1));
}

TEST(IsWanted, AnUnreadableTypeIsNeverScaledAway) {
  auto snap = SnapshotBuilder().unreadableType("web").build();
  auto& view = snap.types.at("web");
  for (std::int64_t seq : {1, 2, 50}) view.logical[seq].id = {"web", seq};
  for (std::int64_t seq : {0, 1, 2, 50, 99}) EXPECT_TRUE(isWanted(view, seq)) << seq;
}

// --- failoverOrder ---

TEST(FailoverOrder, ElectionOrderFirstThenUnelectedByUuid) {
  const config::LogicalServiceId id{"web", 0};
  const auto snap = SnapshotBuilder()
                        .type(typeWith(1, 4))
                        .instance(id, "m", "h1")
                        .instance(id, "z", "h2", /*elect=*/false)
                        .instance(id, "b", "h3")
                        .instance(id, "a", "h4", /*elect=*/false)
                        .build();
  EXPECT_EQ(failoverOrder(*snap.logical(id)), (Strings{"m", "b", "a", "z"}));
}

TEST(FailoverOrder, SkipsMembersWithoutAPhysicalServiceOrData) {
  const config::LogicalServiceId id{"web", 0};
  const auto snap = SnapshotBuilder()
                        .type(typeWith(1, 3))
                        .electionMember(id, "gone", "h9")  // its znode was removed
                        .undecodableElectionMember(id, "lock-0000000001")
                        .instance(id, "y", "h1")
                        .instance(id, "x", "h2", /*elect=*/false)
                        .build();
  EXPECT_EQ(failoverOrder(*snap.logical(id)), (Strings{"y", "x"}));
}

TEST(FailoverOrder, AUuidWithTwoMembersAppearsOnceAtItsFirstPlace) {
  const config::LogicalServiceId id{"web", 0};
  const auto snap = SnapshotBuilder()
                        .type(typeWith(1, 2))
                        .instance(id, "a", "h1")
                        .instance(id, "b", "h2")
                        .electionMember(id, "a", "h1")  // a retried create left a second member
                        .build();
  EXPECT_EQ(failoverOrder(*snap.logical(id)), (Strings{"a", "b"}));
}

TEST(FailoverOrder, EmptyWithoutInstances) {
  const auto snap = SnapshotBuilder().type(typeWith(1, 1)).build();
  EXPECT_TRUE(failoverOrder(*snap.logical({"web", 0})).empty());
}

// --- isOutdated ---

TEST(IsOutdated, OnlyAnOlderGenerationIsOutdated) {
  model::PhysicalServiceView physical;
  physical.data = config::PhysicalServiceData{};
  physical.data->generation = 2;
  EXPECT_TRUE(isOutdated(physical, 3));
  EXPECT_FALSE(isOutdated(physical, 2));
  EXPECT_FALSE(isOutdated(physical, 1));
  physical.data.reset();
  EXPECT_FALSE(isOutdated(physical, 3));
}

// --- nextToReplace ---

class NextToReplace : public ::testing::Test {
 protected:
  const config::LogicalServiceId id{"web", 0};
  // Master m, secondaries s1 then s2; all running generation 1; the stored spec is generation 2.
  SnapshotBuilder three() {
    SnapshotBuilder builder;
    builder.type(typeAtGeneration(1, 3, 2))
        .instance(id, "m", "h1")
        .instance(id, "s1", "h2")
        .instance(id, "s2", "h3");
    return builder;
  }
  std::optional<std::string> next(const model::ClusterSnapshot& snap) {
    return nextToReplace(*snap.logical(id), *snap.type("web")->stored);
  }
};

TEST_F(NextToReplace, TheLastSecondaryGoesFirst) {
  EXPECT_EQ(next(three().build()), "s2");
}

TEST_F(NextToReplace, NoneAfterAGenerationThatChangedTheCountsAlone) {
  // Generation 2's process template dates from generation 1, which all three run.
  auto scaled = three();
  scaled.type(typeAtGeneration(1, 3, 2, 1));
  EXPECT_EQ(next(scaled.build()), std::nullopt);
}

TEST_F(NextToReplace, ThenTheSecondaryBeforeIt) {
  EXPECT_EQ(next(three().generation(id, "s2", 2).build()), "s1");
}

TEST_F(NextToReplace, TheMasterGoesLastOnceEverySecondaryIsCurrent) {
  EXPECT_EQ(next(three().generation(id, "s2", 2).generation(id, "s1", 2).build()), "m");
}

TEST_F(NextToReplace, NothingWhenEveryInstanceIsCurrent) {
  EXPECT_EQ(
      next(three().generation(id, "s2", 2).generation(id, "s1", 2).generation(id, "m", 2).build()),
      std::nullopt);
}

TEST_F(NextToReplace, UnelectedInstancesAreAtTheBackOfTheChain) {
  auto snap = SnapshotBuilder()
                  .type(typeAtGeneration(1, 3, 2))
                  .instance(id, "u", "h3", /*elect=*/false)
                  .instance(id, "m", "h1")
                  .instance(id, "s", "h2")
                  .build();
  EXPECT_EQ(next(snap), "u");
}

TEST_F(NextToReplace, WaitsWhileShortOfReplicas) {
  const auto snap = SnapshotBuilder()
                        .type(typeAtGeneration(1, 3, 2))
                        .instance(id, "m", "h1")
                        .instance(id, "s1", "h2")
                        .build();
  EXPECT_EQ(next(snap), std::nullopt);
}

TEST_F(NextToReplace, WaitsWhileOverReplicated) {
  auto snap = three().build();
  SnapshotBuilder::addInstance(snap, id, "s3", "h4");
  EXPECT_EQ(next(snap), std::nullopt);
}

TEST_F(NextToReplace, WaitsWhileAnyInstanceIsNotRunning) {
  // The replacement of s2 is still starting: nothing else goes until it runs.
  EXPECT_EQ(
      next(
          three().generation(id, "s2", 2).state(id, "s2", config::PhysicalState::Starting).build()),
      std::nullopt);
  EXPECT_EQ(next(three().state(id, "m", config::PhysicalState::Stopping).build()), std::nullopt);
}

TEST_F(NextToReplace, WaitsWhileAnInstanceIsUndecodable) {
  auto snap = three().build();
  SnapshotBuilder::physical(snap, id, "s1").data.reset();
  EXPECT_EQ(next(snap), std::nullopt);
}

TEST_F(NextToReplace, ReplicationOneReplacesTheMaster) {
  const auto snap =
      SnapshotBuilder().type(typeAtGeneration(1, 1, 2)).instance(id, "m", "h1").build();
  EXPECT_EQ(next(snap), "m");
}

TEST_F(NextToReplace, ReplicationOneWaitsForTheMasterToRun) {
  const auto snap = SnapshotBuilder()
                        .type(typeAtGeneration(1, 1, 2))
                        .instance(id, "m", "h1")
                        .state(id, "m", config::PhysicalState::Starting)
                        .build();
  EXPECT_EQ(next(snap), std::nullopt);
}

}  // namespace
}  // namespace sm::daemon

namespace sm::daemon {
namespace {

TEST(IsWantedFromTheListing, ALogicalServiceNotReadStillCountsForWhichAreWanted) {
  // A daemon's focus read logicalService1 only; the listing says 0 and 1 exist, and the type
  // wants one: 1 is surplus, though it is the lowest this daemon read.
  auto snapshot = testutil::SnapshotBuilder().type(testutil::typeWith(1, 1), 2).build();
  auto& type = snapshot.types.at("web");
  type.logical.erase(0);
  type.sequences = {0, 1};
  type.listed = true;
  EXPECT_FALSE(isWanted(type, 1));
  EXPECT_TRUE(isWanted(type, 0));
  EXPECT_FALSE(isWanted(type, 7)) << "not listed";
}

TEST(IsWantedFromTheListing, ASequenceBelowTheCountIsWantedWithoutTheListing) {
  // Sequences are distinct and start at 0: at most 2 logical services rank before
  // logicalService2, so a type that wants 3 wants it whatever its listing says.
  auto snapshot = testutil::SnapshotBuilder().type(testutil::typeWith(3, 1), 3).build();
  auto& type = snapshot.types.at("web");
  type.logical.erase(0);
  type.logical.erase(1);
  EXPECT_FALSE(type.listed);
  EXPECT_TRUE(isWanted(type, 2));
}

}  // namespace
}  // namespace sm::daemon

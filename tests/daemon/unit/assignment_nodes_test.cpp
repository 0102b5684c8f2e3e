#include "manager/daemon/reconcile/assignment_nodes.hpp"

#include <gtest/gtest.h>

#include "tests/model/snapshot_builder.hpp"

namespace sm::daemon {
namespace {

using testutil::SnapshotBuilder;
using testutil::typeWith;

const config::LogicalServiceId kL0{"web", 0};
const config::LogicalServiceId kL1{"web", 1};

AssignmentChange named(const std::string& host, const config::LogicalServiceId& id) {
  return {host, id, {5, 0, 0}, "", false};
}

AssignmentChange removed(const std::string& host, const config::LogicalServiceId& id,
                         bool settled) {
  return {host, id, {}, "why", settled};
}

TEST(PlanAssignmentNodes, NamesForAHostGoInOneNodeWithWhatItHeld) {
  const auto snap =
      SnapshotBuilder().host("h1").type(typeWith(3, 1), 3).assignment(kL0, "h1").build();
  AssignmentPlan plan;
  plan.create = {named("h1", kL1), named("h1", {"web", 2}), named("h2", kL1)};
  const auto writes = planAssignmentNodes(snap, "web", plan);
  ASSERT_EQ(writes.size(), 2u);
  EXPECT_EQ(writes[0].host, "h1");
  EXPECT_TRUE(writes[0].exists);
  ASSERT_TRUE(writes[0].data);
  EXPECT_EQ(writes[0].data->named.size(), 3u);
  EXPECT_EQ(writes[0].data->named.at(1), (config::AssignmentData{5, 0, 0}));
  EXPECT_EQ(writes[1].host, "h2");
  EXPECT_FALSE(writes[1].exists) << "its first: created";
  EXPECT_EQ(writes[1].data->named.size(), 1u);
}

TEST(PlanAssignmentNodes, AWithdrawnNameIsWrittenAtOnceASpentOneWaits) {
  const auto snap =
      SnapshotBuilder().type(typeWith(2, 1), 2).assignment(kL0, "h1").assignment(kL1, "h1").build();
  AssignmentPlan spent;
  spent.remove = {removed("h1", kL0, true)};
  EXPECT_TRUE(planAssignmentNodes(snap, "web", spent).empty())
      << "a spent name rides with the node's next write";

  AssignmentPlan withdrawn;
  withdrawn.remove = {removed("h1", kL0, false)};
  const auto writes = planAssignmentNodes(snap, "web", withdrawn);
  ASSERT_EQ(writes.size(), 1u);
  ASSERT_TRUE(writes[0].data);
  EXPECT_EQ(writes[0].data->named.size(), 1u);
  EXPECT_TRUE(writes[0].data->named.contains(1));

  // A write for a new name takes the spent ones away with it.
  AssignmentPlan both;
  both.remove = {removed("h1", kL0, true)};
  both.create = {named("h1", {"web", 2})};
  const auto together = planAssignmentNodes(snap, "web", both);
  ASSERT_EQ(together.size(), 1u);
  EXPECT_FALSE(together[0].data->named.contains(0));
  EXPECT_TRUE(together[0].data->named.contains(2));
}

TEST(PlanAssignmentNodes, ANodeWhoseNamesAreAllSpentStaysUntilItsHostIsNamedAgain) {
  const auto snap =
      SnapshotBuilder().type(typeWith(3, 1), 3).assignment(kL0, "h1").assignment(kL1, "h1").build();
  AssignmentPlan spent;
  spent.remove = {removed("h1", kL0, true), removed("h1", kL1, true)};
  EXPECT_TRUE(planAssignmentNodes(snap, "web", spent).empty()) << "nothing to write";

  // Named again: the same node is set, with the new name alone.
  AssignmentPlan again = spent;
  again.create = {named("h1", {"web", 2})};
  const auto set = planAssignmentNodes(snap, "web", again);
  ASSERT_EQ(set.size(), 1u);
  EXPECT_TRUE(set[0].exists);
  ASSERT_TRUE(set[0].data);
  EXPECT_EQ(set[0].data->named.size(), 1u);
  EXPECT_TRUE(set[0].data->named.contains(2));

  // One withdrawn among them (its host infeasible, say): the node goes, which fences the host.
  AssignmentPlan withdrawn;
  withdrawn.remove = {removed("h1", kL0, true), removed("h1", kL1, false)};
  const auto writes = planAssignmentNodes(snap, "web", withdrawn);
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_FALSE(writes[0].data) << "removed";
  EXPECT_TRUE(writes[0].exists);
}

TEST(PlanAssignmentNodes, AnUnreadableNodeIsWrittenAgainAndOnlyItsOwnType) {
  auto snap = SnapshotBuilder().type(typeWith(2, 1), 2).build();
  snap.assignmentNodes[{"h1", "web"}] = model::AssignmentsNodeView{"h1", "web", 3, "not JSON"};
  snap.assignmentNodes[{"h1", "db"}] = model::AssignmentsNodeView{"h1", "db", 3, "not JSON"};
  AssignmentPlan plan;
  plan.create = {named("h1", kL0)};
  const auto writes = planAssignmentNodes(snap, "web", plan);
  ASSERT_EQ(writes.size(), 1u);
  EXPECT_EQ(writes[0].type, "web");
  EXPECT_TRUE(writes[0].exists);
  EXPECT_EQ(writes[0].data->named.size(), 1u);
  // With nothing to name there, it goes.
  const auto alone = planAssignmentNodes(snap, "web", {});
  ASSERT_EQ(alone.size(), 1u);
  EXPECT_FALSE(alone[0].data);
}

}  // namespace
}  // namespace sm::daemon

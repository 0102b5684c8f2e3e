#include "manager/daemon/reconcile/assignment_plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>

#include "tests/model/snapshot_builder.hpp"

namespace sm::daemon {
namespace {

using testutil::busy;
using testutil::SnapshotBuilder;
using testutil::typeWith;

constexpr std::int64_t kNow = 1'700'000'000'000;
const config::LogicalServiceId kL0{"web", 0};
const config::LogicalServiceId kL1{"web", 1};

std::vector<std::string> hostsOf(const std::vector<AssignmentChange>& changes,
                                 const config::LogicalServiceId& id) {
  std::vector<std::string> hosts;
  for (const auto& c : changes) {
    if (c.logical == id) hosts.push_back(c.host);
  }
  std::sort(hosts.begin(), hosts.end());
  return hosts;
}

config::Constraints maxOnePerHost() {
  config::Constraints c;
  c.maxPerHost = 1;
  return c;
}

// Three feasible hosts; h2 is the least loaded, then h3, then h1.
SnapshotBuilder threeHosts(std::int64_t replicas = 1, config::Constraints constraints = {}) {
  SnapshotBuilder builder;
  builder.host("h1", busy(5))
      .host("h2", busy(0))
      .host("h3", busy(2))
      .type(typeWith(1, replicas, std::move(constraints)))
      .createLock(kL0);
  return builder;
}

TEST(PlanAssignments, NamesTheBestHostForTheOneMissingReplica) {
  const auto plan = planAssignments(threeHosts().build(), "web", kNow);
  ASSERT_EQ(plan.create.size(), 1u);
  EXPECT_EQ(plan.create[0].host, "h2");
  EXPECT_EQ(plan.create[0].logical, kL0);
  EXPECT_EQ(plan.create[0].data, (config::AssignmentData{kNow, 0}));
  EXPECT_TRUE(plan.remove.empty());
}

TEST(PlanAssignments, NamesAsManyHostsAsReplicasAreMissing) {
  const auto snap = threeHosts(3, maxOnePerHost()).instance(kL0, "a", "h1").build();
  const auto plan = planAssignments(snap, "web", kNow);
  EXPECT_EQ(hostsOf(plan.create, kL0), (std::vector<std::string>{"h2", "h3"}));
}

TEST(PlanAssignments, SpreadsABurstOverTheHosts) {
  // Two logical services of one replica each: the second goes elsewhere, since the first's
  // assignment counts as an instance on its host.
  const auto snap = SnapshotBuilder()
                        .host("h1")
                        .host("h2")
                        .type(typeWith(2, 1), 2)
                        .createLock(kL0)
                        .createLock(kL1)
                        .build();
  const auto plan = planAssignments(snap, "web", kNow);
  ASSERT_EQ(plan.create.size(), 2u);
  EXPECT_NE(plan.create[0].host, plan.create[1].host);
}

TEST(PlanAssignments, AStandingAssignmentIsKeptAndNotDoubled) {
  // (Also a spent name whose replica went since: h3, named with none, has none again. Its node
  // stayed, so it names h3 again without a write.)
  const auto snap = threeHosts().assignment(kL0, "h3").build();
  EXPECT_TRUE(planAssignments(snap, "web", kNow).empty());
}

TEST(PlanAssignments, AnEntryWhoseReplicaIsPlacedIsSpentAndNamesNoMore) {
  // h3 was named with none of kL0's replicas and has one now: its name is spent (settled, so it
  // waits for the next write of h3's node), and the replica still missing goes to another host.
  const auto snap =
      threeHosts(2, maxOnePerHost()).assignment(kL0, "h3").instance(kL0, "a", "h3").build();
  const auto plan = planAssignments(snap, "web", kNow);
  ASSERT_EQ(hostsOf(plan.remove, kL0), (std::vector<std::string>{"h3"}));
  EXPECT_TRUE(plan.remove[0].settled);
  EXPECT_EQ(hostsOf(plan.create, kL0), (std::vector<std::string>{"h2"}));
  // Named while it had one already (a double-up): not spent until it has two.
  const auto doubled = SnapshotBuilder()
                           .host("h1")
                           .type(typeWith(1, 2))
                           .createLock(kL0)
                           .instance(kL0, "a", "h1")
                           .assignment(kL0, "h1", kDoubleUpDelayMs, 1)
                           .build();
  EXPECT_TRUE(planAssignments(doubled, "web", kNow).empty());
}

TEST(PlanAssignments, AHostIsNamedForAtMostOneNodeOfLogicalServicesOfAType) {
  auto builder = SnapshotBuilder().host("h1").host("h2");
  builder.type(typeWith(config::kMaxNamedPerNode + 1, 1), config::kMaxNamedPerNode + 1);
  for (std::int64_t i = 0; i <= static_cast<std::int64_t>(config::kMaxNamedPerNode); ++i) {
    builder.createLock({"web", i});
  }
  const auto plan = planAssignments(builder.build(), "web", kNow);
  std::map<std::string, std::size_t> named;
  for (const auto& c : plan.create) ++named[c.host];
  // Spread: about half each, and never more than a node holds.
  EXPECT_EQ(plan.create.size(), config::kMaxNamedPerNode + 1);
  EXPECT_LE(named["h1"], config::kMaxNamedPerNode);
  EXPECT_LE(named["h2"], config::kMaxNamedPerNode);
  // One host alone: the last logical service waits for a name.
  auto alone = SnapshotBuilder().host("h1");
  alone.type(typeWith(config::kMaxNamedPerNode + 1, 1), config::kMaxNamedPerNode + 1);
  for (std::int64_t i = 0; i <= static_cast<std::int64_t>(config::kMaxNamedPerNode); ++i) {
    alone.createLock({"web", i});
  }
  EXPECT_EQ(planAssignments(alone.build(), "web", kNow).create.size(), config::kMaxNamedPerNode);
}

TEST(PlanAssignments, AGoneOrInfeasibleCandidateIsReplacedAtOnce) {
  // h4 named, then gone; h3 named, then cordoned.
  const auto snap = threeHosts(3).assignment(kL0, "h4").assignment(kL0, "h3").cordon("h3").build();
  const auto plan = planAssignments(snap, "web", kNow);
  EXPECT_EQ(hostsOf(plan.remove, kL0), (std::vector<std::string>{"h3", "h4"}));
  // Withdrawn, not spent: their nodes are written at once (the registration's check fails).
  EXPECT_FALSE(plan.remove[0].settled || plan.remove[1].settled);
  // Two replicas missing and two feasible hosts left (h3 is cordoned).
  EXPECT_EQ(hostsOf(plan.create, kL0), (std::vector<std::string>{"h1", "h2"}));
}

TEST(PlanAssignments, WithOneFeasibleHostLeftTheReplicaIsStillPlaced) {
  config::Constraints c;
  c.denyHosts = {"h1", "h3"};
  const auto plan = planAssignments(threeHosts(1, c).build(), "web", kNow);
  EXPECT_EQ(hostsOf(plan.create, kL0), (std::vector<std::string>{"h2"}));
}

TEST(PlanAssignments, ASecondReplicaOnOneHostWaitsAndGivesWayToABetterHost) {
  auto one =
      SnapshotBuilder().host("h1").type(typeWith(1, 2)).createLock(kL0).instance(kL0, "a", "h1");
  const auto plan = planAssignments(one.build(), "web", kNow);
  ASSERT_EQ(plan.create.size(), 1u);
  EXPECT_EQ(plan.create[0].host, "h1");
  EXPECT_EQ(plan.create[0].data.delayMs, kDoubleUpDelayMs);
  // h2 comes: it takes the place of the double-up.
  const auto later = one.host("h2").assignment(kL0, "h1", kDoubleUpDelayMs).build();
  const auto replan = planAssignments(later, "web", kNow);
  EXPECT_EQ(hostsOf(replan.remove, kL0), (std::vector<std::string>{"h1"}));
  EXPECT_EQ(hostsOf(replan.create, kL0), (std::vector<std::string>{"h2"}));
  EXPECT_EQ(replan.create[0].data.delayMs, 0);
}

TEST(PlanAssignments, NoLongerNeededAssignmentsGo) {
  // Full meanwhile (another replica registered): h2's assignment goes.
  const auto full = threeHosts().instance(kL0, "a", "h1").assignment(kL0, "h2").build();
  const auto spent = planAssignments(full, "web", kNow);
  EXPECT_EQ(hostsOf(spent.remove, kL0), (std::vector<std::string>{"h2"}));
  EXPECT_TRUE(spent.remove[0].settled);
  // Surplus (scaled down) while short: withdrawn, not merely spent.
  const auto surplus = SnapshotBuilder()
                           .host("h1")
                           .type(typeWith(1, 1), 2)
                           .createLock(kL1)
                           .assignment(kL1, "h1")
                           .build();
  const auto withdrawn = planAssignments(surplus, "web", kNow);
  ASSERT_EQ(hostsOf(withdrawn.remove, kL1), (std::vector<std::string>{"h1"}));
  EXPECT_FALSE(withdrawn.remove[0].settled);
  // Its create-lock gone (with its last replica, which this read may not show yet): spent, not
  // withdrawn; a rewrite of h2's node would fail h2's registrations in flight for nothing.
  const auto lockGone = SnapshotBuilder()
                            .host("h1")
                            .host("h2")
                            .type(typeWith(1, 2))
                            .instance(kL0, "a", "h1")
                            .assignment(kL0, "h2")
                            .build();
  const auto spentWithLock = planAssignments(lockGone, "web", kNow);
  ASSERT_EQ(hostsOf(spentWithLock.remove, kL0), (std::vector<std::string>{"h2"}));
  EXPECT_TRUE(spentWithLock.remove[0].settled);
  // One replica missing, two named: both stay (the create-lock's holder counts on the server),
  // and nobody more is named.
  const auto two = threeHosts().assignment(kL0, "h2").assignment(kL0, "h1").build();
  EXPECT_TRUE(planAssignments(two, "web", kNow).empty());
}

TEST(PlanAssignments, NothingWithoutACreateLock) {
  const auto snap = SnapshotBuilder().host("h1").type(typeWith(1, 1)).build();
  EXPECT_TRUE(planAssignments(snap, "web", kNow).empty());
}

TEST(PlanAssignments, APausedGoneOrScaledAwayTypeLosesItsAssignments) {
  const auto paused = threeHosts().assignment(kL0, "h2").paused("web").build();
  EXPECT_EQ(hostsOf(planAssignments(paused, "web", kNow).remove, kL0),
            (std::vector<std::string>{"h2"}));
  const auto gone = SnapshotBuilder().host("h1").assignment(kL0, "h1").build();
  EXPECT_EQ(hostsOf(planAssignments(gone, "web", kNow).remove, kL0),
            (std::vector<std::string>{"h1"}));
  const auto surplus = threeHosts().assignment({"web", 7}, "h1").build();
  EXPECT_EQ(hostsOf(planAssignments(surplus, "web", kNow).remove, {"web", 7}),
            (std::vector<std::string>{"h1"}));
}

TEST(PlanAssignments, OnlyItsOwnType) {
  const auto snap = threeHosts().assignment({"db", 0}, "h1").build();
  const auto plan = planAssignments(snap, "web", kNow);
  EXPECT_TRUE(hostsOf(plan.remove, {"db", 0}).empty());
}

}  // namespace
}  // namespace sm::daemon

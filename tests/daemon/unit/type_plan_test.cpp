#include "manager/daemon/reconcile/type_plan.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/model/snapshot_builder.hpp"

namespace sm::daemon {
namespace {

using testutil::idleHost;
using testutil::makeType;
using testutil::SnapshotBuilder;
using testutil::typeWith;
using Ids = std::vector<config::LogicalServiceId>;

constexpr std::int64_t kNow = 1'700'000'000'000;

Ids sorted(Ids ids) {
  std::sort(ids.begin(), ids.end());
  return ids;
}

Ids statusIds(const TypePlan& plan) {
  Ids ids;
  for (const auto& [id, status] : plan.statuses) ids.push_back(id);
  return ids;
}

const config::StatusData* statusFor(const TypePlan& plan, const config::LogicalServiceId& id) {
  for (const auto& [sid, status] : plan.statuses) {
    if (sid == id) return &status;
  }
  return nullptr;
}

// The plan must outlive the pointer.
const config::StatusData* statusFor(TypePlan&&, const config::LogicalServiceId&) = delete;

// Writes a plan into the snapshot as the config monitor would write it into the tree.
void apply(const TypePlan& plan, const std::string& typeName, model::ClusterSnapshot& snapshot) {
  auto typeIt = snapshot.types.find(typeName);
  if (typeIt != snapshot.types.end()) {
    auto& logical = typeIt->second.logical;
    std::int64_t next = logical.empty() ? 0 : logical.rbegin()->first + 1;
    for (std::int64_t i = 0; i < plan.createLogical; ++i, ++next) {
      logical[next].id = {typeName, next};
    }
    for (const auto& id : plan.removeLogical) logical.erase(id.sequence);
    for (const auto& [id, status] : plan.statuses) {
      logical.at(id.sequence).status = status;
      ++logical.at(id.sequence).statusVersion;
    }
  }
  for (const auto& id : plan.createLocks) snapshot.createLocks[id] = model::CreateLockView{id};
  for (const auto& id : plan.destroyLocks) snapshot.createLocks.erase(id);
}

// --- logical services and locks ---

TEST(PlanServiceType, CreatesTheMissingLogicalServices) {
  const auto snap = SnapshotBuilder().host("h1").type(typeWith(3, 1), 1).build();
  EXPECT_EQ(planServiceType("web", snap, kNow).createLogical, 2);
}

TEST(PlanServiceType, CreatesNoLogicalServiceWhenThereAreEnoughOrMore) {
  EXPECT_EQ(
      planServiceType("web", SnapshotBuilder().type(typeWith(2, 1), 2).build(), kNow).createLogical,
      0);
  EXPECT_EQ(
      planServiceType("web", SnapshotBuilder().type(typeWith(1, 1), 3).build(), kNow).createLogical,
      0);
}

TEST(PlanServiceType, CreatesACreateLockForAShortLogicalServiceWithoutOne) {
  const config::LogicalServiceId l0{"web", 0}, l1{"web", 1};
  const auto snap = SnapshotBuilder()
                        .host("h1")
                        .type(typeWith(2, 2), 2)
                        .instance(l0, "a", "h1")  // short by one, no lock
                        .createLock(l1)           // short by two, has its lock
                        .build();
  const auto plan = planServiceType("web", snap, kNow);
  EXPECT_EQ(plan.createLocks, (Ids{l0}));
  EXPECT_TRUE(plan.destroyLocks.empty());
  EXPECT_TRUE(plan.removeLogical.empty());
}

TEST(PlanServiceType, DestroysTheLockOfAFullLogicalService) {
  const config::LogicalServiceId l0{"web", 0};
  const auto snap = SnapshotBuilder()
                        .host("h1")
                        .host("h2")
                        .type(typeWith(1, 2), 1)
                        .instance(l0, "a", "h1")
                        .instance(l0, "b", "h2")
                        .createLock(l0)
                        .build();
  const auto plan = planServiceType("web", snap, kNow);
  EXPECT_EQ(plan.destroyLocks, (Ids{l0}));
  EXPECT_TRUE(plan.createLocks.empty());
}

TEST(PlanServiceType, AnOverReplicatedLogicalServiceWantsNoLock) {
  const config::LogicalServiceId l0{"web", 0};
  const auto snap = SnapshotBuilder()
                        .host("h1")
                        .type(typeWith(1, 1), 1)
                        .instance(l0, "a", "h1")
                        .instance(l0, "b", "h1")
                        .build();
  const auto plan = planServiceType("web", snap, kNow);
  EXPECT_TRUE(plan.createLocks.empty());
  EXPECT_TRUE(plan.destroyLocks.empty());
}

TEST(PlanServiceType, RemovesASurplusLogicalServiceOnlyOnceItsInstancesAreGone) {
  const config::LogicalServiceId l0{"web", 0}, l1{"web", 1}, l2{"web", 2};
  const auto snap = SnapshotBuilder()
                        .host("h1")
                        .type(typeWith(1, 1), 3)
                        .instance(l0, "a", "h1")
                        .instance(l1, "b", "h1")  // surplus, still running
                        .createLock(l1)
                        .createLock(l2)                       // surplus, empty
                        .status(l0, config::StatusData{}, 0)  // out of date
                        .status(l1, config::StatusData{}, 0)
                        .build();
  const auto plan = planServiceType("web", snap, kNow);
  EXPECT_EQ(plan.removeLogical, (Ids{l2}));
  EXPECT_EQ(sorted(plan.destroyLocks), (Ids{l1, l2}));
  EXPECT_TRUE(plan.createLocks.empty());
  EXPECT_EQ(plan.createLogical, 0);
  // Surplus logical services get no status; the wanted one does.
  EXPECT_EQ(statusIds(plan), (Ids{l0}));
}

TEST(PlanServiceType, ScaleDownRemovesTheHighestSequences) {
  const auto snap = SnapshotBuilder().host("h1").type(typeWith(2, 1), 4).build();
  const auto plan = planServiceType("web", snap, kNow);
  EXPECT_EQ(sorted(plan.removeLogical), (Ids{{"web", 2}, {"web", 3}}));
  EXPECT_EQ(sorted(plan.createLocks), (Ids{{"web", 0}, {"web", 1}}));
}

TEST(PlanServiceType, DestroysLocksOfLogicalServicesThatNoLongerExist) {
  const config::LogicalServiceId gone{"web", 5};
  const auto snap = SnapshotBuilder()
                        .host("h1")
                        .type(typeWith(1, 1), 1)
                        .instance({"web", 0}, "a", "h1")
                        .createLock(gone)
                        .createLock({"other", 5})
                        .build();
  EXPECT_EQ(planServiceType("web", snap, kNow).destroyLocks, (Ids{gone}));
}

TEST(PlanServiceType, ADeletedTypeOnlyDestroysItsLocks) {
  const auto snap = SnapshotBuilder()
                        .host("h1")
                        .type(typeWith(1, 1), 1)  // "web" is still there
                        .createLock({"db", 0})
                        .createLock({"db", 3})
                        .createLock({"web", 0})
                        .build();
  const auto plan = planServiceType("db", snap, kNow);
  EXPECT_EQ(sorted(plan.destroyLocks), (Ids{{"db", 0}, {"db", 3}}));
  EXPECT_EQ(plan.createLogical, 0);
  EXPECT_TRUE(plan.removeLogical.empty());
  EXPECT_TRUE(plan.createLocks.empty());
  EXPECT_TRUE(plan.statuses.empty());
}

TEST(PlanServiceType, ADeletedTypeWithoutLocksPlansNothing) {
  const auto snap = SnapshotBuilder().host("h1").build();
  EXPECT_TRUE(planServiceType("db", snap, kNow).empty());
}

TEST(PlanServiceType, AnUnreadableTypeIsLeftAsItIsAndSaysWhy) {
  auto snap = SnapshotBuilder().host("h1").unreadableType("web").createLock({"web", 0}).build();
  snap.types.at("web").logical[7].id = {"web", 7};
  const auto plan = planServiceType("web", snap, kNow);
  EXPECT_EQ(plan.createLogical, 0);
  EXPECT_TRUE(plan.removeLogical.empty());
  EXPECT_TRUE(plan.createLocks.empty());
  EXPECT_TRUE(plan.destroyLocks.empty());
  ASSERT_EQ(plan.statuses.size(), 2u);
  EXPECT_EQ(plan.statuses[0].second.reason,
            "the type's spec cannot be read (bad json); nothing is changed until it is fixed");
  // Said once: the same reason is not written again.
  snap.types.at("web").logical[0].status = plan.statuses[0].second;
  snap.types.at("web").logical[7].status = plan.statuses[1].second;
  EXPECT_TRUE(planServiceType("web", snap, kNow + 5000).statuses.empty());
}

// --- status ---

TEST(PlanServiceType, StatusOfALogicalServiceBeingPlaced) {
  const config::LogicalServiceId l0{"web", 0};
  const auto snap =
      SnapshotBuilder().host("h1").type(typeWith(1, 2), 1).instance(l0, "a", "h1").build();
  // Being placed without trouble: no node is written yet (one write per logical service saved).
  EXPECT_TRUE(planServiceType("web", snap, kNow).statuses.empty());
  const auto status = statusOf(*snap.type("web"), *snap.logical(l0), snap, kNow);
  EXPECT_EQ(status.updated, kNow);
  EXPECT_EQ(status.wanted, 2);
  EXPECT_EQ(status.registered, 1);
  EXPECT_EQ(status.reason, "1 replica missing: placing");
  EXPECT_TRUE(status.hosts.empty());
}

TEST(PlanServiceType, AFullLogicalServiceHasAnEmptyReason) {
  const config::LogicalServiceId l0{"web", 0};
  const auto snap =
      SnapshotBuilder().host("h1").type(typeWith(1, 1), 1).instance(l0, "a", "h1").build();
  const auto status = statusOf(*snap.type("web"), *snap.logical(l0), snap, kNow);
  EXPECT_EQ(status.reason, "");
  EXPECT_EQ(status.registered, 1);
  EXPECT_EQ(status.wanted, 1);
}

TEST(PlanServiceType, StatusIsNotRewrittenWhenOnlyTheTimestampWouldChange) {
  const config::LogicalServiceId l0{"web", 0};
  auto builder = SnapshotBuilder().host("h1").type(typeWith(1, 1), 1).instance(l0, "a", "h1");
  builder.status(l0, config::StatusData{}, 0);  // out of date
  const auto first = planServiceType("web", builder.build(), kNow);
  ASSERT_EQ(first.statuses.size(), 1u);
  builder.status(l0, first.statuses.front().second, 0);
  const auto second = planServiceType("web", builder.build(), kNow + 60'000);
  EXPECT_TRUE(second.statuses.empty());
  EXPECT_TRUE(second.empty());
}

TEST(PlanServiceType, StatusIsNotRewrittenForEachPlacementWhilePlacing) {
  const config::LogicalServiceId l0{"web", 0};
  auto builder =
      SnapshotBuilder().host("h1").host("h2").type(typeWith(1, 3), 1).instance(l0, "a", "h1");
  const auto before = builder.build();
  auto old = statusOf(*before.type("web"), *before.logical(l0), before, kNow);
  ASSERT_EQ(old.reason, "2 replicas missing: placing");
  old.registered = 0;  // written before "a" registered
  old.reason = "3 replicas missing: placing";
  builder.status(l0, old, 3).createLock(l0);
  const auto plan = planServiceType("web", builder.build(), kNow + 1);
  EXPECT_TRUE(plan.statuses.empty()) << "progress is not news: one write per placement saved";
}

// What a status node said while its only replica was being placed.
config::StatusData placingStatus() {
  config::StatusData status;
  status.updated = kNow;
  status.wanted = 1;
  status.reason = "1 replica missing: placing";
  return status;
}

TEST(PlanServiceType, ANewLogicalServiceGetsAStatusOnlyWithSomethingToSay) {
  const config::LogicalServiceId l0{"web", 0};
  auto placing = SnapshotBuilder().host("h1").type(typeWith(1, 1), 1).createLock(l0);
  EXPECT_TRUE(planServiceType("web", placing.build(), kNow).statuses.empty());
  // Placed without trouble: its listings say it all, and a placement writes no status.
  auto full = SnapshotBuilder().host("h1").type(typeWith(1, 1), 1).instance(l0, "a", "h1");
  EXPECT_TRUE(planServiceType("web", full.build(), kNow).statuses.empty());
  // Stuck: that is news.
  config::Constraints deny;
  deny.denyHosts = {"h*"};
  auto stuck = SnapshotBuilder().host("h1").type(typeWith(1, 1, deny), 1).createLock(l0);
  EXPECT_EQ(statusIds(planServiceType("web", stuck.build(), kNow)), (Ids{l0}));
}

TEST(PlanServiceType, StatusIsRewrittenWhenTheLogicalServiceIsFullOrStuck) {
  const config::LogicalServiceId l0{"web", 0};
  auto builder = SnapshotBuilder().host("h1").type(typeWith(1, 1), 1).instance(l0, "a", "h1");
  builder.status(l0, placingStatus(), 3);
  const auto full = planServiceType("web", builder.build(), kNow + 1);
  ASSERT_EQ(statusIds(full), (Ids{l0}));
  EXPECT_EQ(statusFor(full, l0)->registered, 1);
  EXPECT_EQ(statusFor(full, l0)->reason, "");
  EXPECT_EQ(statusFor(full, l0)->updated, kNow + 1);

  config::Constraints deny;
  deny.denyHosts = {"h*"};
  auto stuck = SnapshotBuilder().host("h1").type(typeWith(1, 1, deny), 1);
  stuck.status(l0, placingStatus(), 3).createLock(l0);
  const auto plan = planServiceType("web", stuck.build(), kNow + 1);
  ASSERT_EQ(statusIds(plan), (Ids{l0}));
  EXPECT_NE(statusFor(plan, l0)->reason.find("no feasible host"), std::string::npos);
}

TEST(PlanServiceType, StatusSaysNoFeasibleHostAndWhyForEachHost) {
  config::Constraints c;
  c.denyHosts = {"h*"};
  const config::LogicalServiceId l0{"web", 0};
  const auto snap = SnapshotBuilder()
                        .host("h2")
                        .host("h1")
                        .unreadableHost("x9")
                        .type(typeWith(1, 2, c), 1)
                        .build();
  const auto plan = planServiceType("web", snap, kNow);
  const auto* status = statusFor(plan, l0);
  ASSERT_NE(status, nullptr);
  EXPECT_NE(status->reason.find("no feasible host"), std::string::npos) << status->reason;
  EXPECT_NE(status->reason.find("2 replicas missing"), std::string::npos) << status->reason;
  EXPECT_NE(status->reason.find("3 of 3 hosts"), std::string::npos) << status->reason;
  ASSERT_EQ(status->hosts.size(), 3u);
  EXPECT_EQ(status->hosts[0],
            (config::HostReason{"h1", "denyHosts matches \"h1\" (pattern \"h*\")"}));
  EXPECT_EQ(status->hosts[1],
            (config::HostReason{"h2", "denyHosts matches \"h2\" (pattern \"h*\")"}));
  EXPECT_EQ(status->hosts[2].host, "x9");
  EXPECT_NE(status->hosts[2].reason.find("unreadable"), std::string::npos);
}

TEST(PlanServiceType, StatusListsOnlyTheFailingHostsWhileOneIsFeasible) {
  config::Constraints c;
  c.denyHosts = {"h2"};
  const config::LogicalServiceId l0{"web", 0};
  const auto snap = SnapshotBuilder().host("h1").host("h2").type(typeWith(1, 1, c), 1).build();
  const auto computed = statusOf(*snap.type("web"), *snap.logical(l0), snap, kNow);
  const auto* status = &computed;
  EXPECT_EQ(status->reason, "1 replica missing: placing");
  EXPECT_EQ(status->hosts,
            (std::vector<config::HostReason>{{"h2", "denyHosts matches \"h2\" (pattern \"h2\")"}}));
}

TEST(PlanServiceType, StatusSaysNoLiveHostWithoutHosts) {
  const auto snap = SnapshotBuilder().type(typeWith(1, 1), 1).build();
  const auto plan = planServiceType("web", snap, kNow);
  const auto* status = statusFor(plan, {"web", 0});
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(status->reason, "no live host");
}

TEST(PlanServiceType, StatusShowsCooldownsInForceAsFailures) {
  auto cooling = idleHost();
  cooling.cooldowns = {{"web", kNow + 5000, "crash loop: 5 exits in 60 s"},
                       {"other", kNow + 5000, "not ours"}};
  auto expired = idleHost();
  expired.cooldowns = {{"web", kNow - 1, "long ago"}};
  const auto snap =
      SnapshotBuilder().host("h1", cooling).host("h2", expired).type(typeWith(1, 1), 1).build();
  const auto plan = planServiceType("web", snap, kNow);
  const auto* status = statusFor(plan, {"web", 0});
  ASSERT_NE(status, nullptr);
  ASSERT_EQ(status->failures.size(), 1u);
  EXPECT_EQ(status->failures[0].host, "h1");
  EXPECT_EQ(status->failures[0].message, "crash loop: 5 exits in 60 s");
  // When the crash loop was seen: one crash-loop window (60 s by default) before the cooldown ends.
  EXPECT_EQ(status->failures[0].time, kNow + 5000 - 60000);
  // h2 is still feasible: the reason is not "no feasible host".
  EXPECT_EQ(status->reason, "1 replica missing: placing");
}

TEST(SameStatus, IgnoresOnlyTheTimestamp) {
  config::StatusData a;
  a.updated = 1;
  a.wanted = 2;
  auto b = a;
  b.updated = 99;
  EXPECT_TRUE(sameStatus(a, b));
  b.reason = "x";
  EXPECT_FALSE(sameStatus(a, b));
}

// --- idempotence ---

TEST(PlanServiceType, PlanningAgainOnTheResultingTreePlansNothing) {
  config::Constraints c;
  c.denyHosts = {"h3"};
  const config::LogicalServiceId l0{"web", 0}, l1{"web", 1}, l2{"web", 2}, l3{"web", 3};
  auto snap = SnapshotBuilder()
                  .host("h1")
                  .host("h2")
                  .host("h3")
                  .type(typeWith(3, 2, c), 4)
                  .instance(l0, "a", "h1")
                  .instance(l0, "b", "h2")
                  .createLock(l0)           // full: destroyed
                  .instance(l1, "c", "h1")  // short: a lock
                  .createLock(l3)           // surplus and empty: removed
                  .createLock({"web", 9})   // stale
                  .build();
  const auto first = planServiceType("web", snap, kNow);
  EXPECT_FALSE(first.empty());
  EXPECT_EQ(sorted(first.createLocks), (Ids{l1, l2}));
  EXPECT_EQ(sorted(first.destroyLocks), (Ids{l0, l3, {"web", 9}}));
  EXPECT_EQ(first.removeLogical, (Ids{l3}));
  apply(first, "web", snap);
  const auto second = planServiceType("web", snap, kNow + 1000);
  EXPECT_TRUE(second.empty()) << "createLogical " << second.createLogical << ", createLocks "
                              << second.createLocks.size() << ", destroyLocks "
                              << second.destroyLocks.size() << ", removeLogical "
                              << second.removeLogical.size() << ", statuses "
                              << second.statuses.size();
}

TEST(PlanServiceType, AScaleUpSettlesInTwoRounds) {
  auto snap = SnapshotBuilder().host("h1").type(typeWith(3, 1), 1).build();
  auto plan = planServiceType("web", snap, kNow);
  EXPECT_EQ(plan.createLogical, 2);
  apply(plan, "web", snap);
  plan = planServiceType("web", snap, kNow);
  EXPECT_EQ(plan.createLogical, 0);
  EXPECT_EQ(sorted(plan.createLocks), (Ids{{"web", 1}, {"web", 2}}));
  apply(plan, "web", snap);
  EXPECT_TRUE(planServiceType("web", snap, kNow).empty());
}

TEST(PlanServiceType, AHeldPromotionCandidateSaysWhyThereIsNoMaster) {
  const config::LogicalServiceId l0{"web", 0};
  auto snap = SnapshotBuilder()
                  .host("h1")
                  .host("h2")
                  .type(typeWith(1, 2), 1)
                  .instance(l0, "a", "h1")
                  .instance(l0, "b", "h2")
                  .build();
  snap.types.at("web").logical.at(0).election.front().data->held =
      "it has score 10, 990 below the best seen (1000): more than maxLag 100";
  const auto status = statusOf(*snap.type("web"), *snap.logical(l0), snap, kNow);
  EXPECT_EQ(status.reason,
            "no master: not promoted: it has score 10, 990 below the best seen (1000): more than "
            "maxLag 100");
}

}  // namespace
}  // namespace sm::daemon

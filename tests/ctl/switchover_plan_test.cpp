#include "manager/ctl/switchover_plan.hpp"

#include <gtest/gtest.h>

#include "manager/ctl/cli_error.hpp"
#include "tests/model/snapshot_builder.hpp"

namespace sm::ctl {
namespace {

constexpr std::int64_t kNow = 1'700'000'000'000;
const config::LogicalServiceId kDb0{"Db", 0};

// Db/0: master m on h1, then s1 on h2 and s2 on h3 in its failover chain; all running.
struct Fixture {
  model::ClusterSnapshot snapshot = daemon::testutil::SnapshotBuilder()
                                        .type(daemon::testutil::makeType("Db"))
                                        .instance(kDb0, "m", "h1")
                                        .instance(kDb0, "s1", "h2")
                                        .instance(kDb0, "s2", "h3")
                                        .host("h1", config::HostData{})
                                        .host("h2", config::HostData{})
                                        .host("h3", config::HostData{})
                                        .build();
  model::ServiceTypeView& type() { return snapshot.types.at("Db"); }
  model::LogicalServiceView& logical() { return type().logical.at(0); }
  model::PhysicalServiceView& instance(const std::string& uuid) {
    return logical().physical.at(uuid);
  }
  // The instance leaves the election (it stays registered).
  void leaveElection(const std::string& uuid) {
    std::erase_if(logical().election, [&](const model::ElectionMember& member) {
      return member.data && member.data->physical == uuid;
    });
  }
  SwitchoverChoice choose(const std::optional<std::string>& to) {
    return chooseSwitchover(snapshot, type(), logical(), to, kNow);
  }
};

TEST(ChooseSwitchover, TheNextInLineByDefaultOrTheNamedHostOrUuid) {
  Fixture f;
  EXPECT_EQ(f.choose(std::nullopt).target->uuid, "s1");
  EXPECT_EQ(f.choose(std::string("h3")).target->uuid, "s2");
  EXPECT_EQ(f.choose(std::string("s2")).target->uuid, "s2");
  EXPECT_EQ(f.choose(std::nullopt).master->uuid, "m");
}

TEST(ChooseSwitchover, RefusesWhatCannotTakeOver) {
  Fixture f;
  EXPECT_EQ(f.choose(std::string("h1")).refusal, "m on h1 is already the master of Db logical "
                                                 "service 0; nothing to do");
  EXPECT_EQ(f.choose(std::string("h9")).refusal.rfind("no instance of Db logical service 0", 0),
            0u);
  f.instance("s1").data->state = config::PhysicalState::Starting;
  EXPECT_EQ(f.choose(std::string("h2")).refusal,
            "s1 on h2 is starting, not running and healthy: it cannot take over");
  f.leaveElection("s2");
  f.type().stored->type.spec.constraints.masterHosts = {"h1", "h2"};
  EXPECT_EQ(f.choose(std::string("h3")).refusal,
            "s2 on h3 is not eligible as master: masterHosts [h1, h2] do not match h3");
}

TEST(ChooseSwitchover, OneAtATimeAndOnlyWithAMaster) {
  Fixture f;
  f.snapshot.switchovers[kDb0] =
      model::SwitchoverView{config::SwitchoverData{"s1", "m", kNow - 10, kNow + 5000}, "", 0};
  EXPECT_NE(f.choose(std::nullopt).refusal.find("in progress"), std::string::npos);
  f.snapshot.switchovers[kDb0].data->deadline = kNow - 1;
  EXPECT_TRUE(f.choose(std::nullopt).refusal.empty()) << "an expired one does not count";
  f.snapshot.switchovers[kDb0] = model::SwitchoverView{std::nullopt, "bad json", 0};
  EXPECT_TRUE(f.choose(std::nullopt).refusal.empty()) << "nor one that cannot be read";
  f.logical().election.front().data.reset();  // the first member holds the lock, unreadable
  EXPECT_NE(f.choose(std::nullopt).refusal.find("has no master"), std::string::npos);
}

TEST(ChooseSwitchover, ForceNamesAHeldPromotionCandidateOrAnotherMember) {
  Fixture f;
  // A promotion type whose first member (m) is a candidate held by maxLag: no master.
  f.logical().promotes = true;
  ASSERT_EQ(f.logical().roleOf("m"), model::Role::Candidate);
  EXPECT_NE(f.choose(std::string("h1")).refusal.find("has no master"), std::string::npos)
      << "without --force";
  auto itself = chooseSwitchover(f.snapshot, f.type(), f.logical(), std::string("h1"), kNow, true);
  ASSERT_TRUE(itself.refusal.empty()) << itself.refusal;
  EXPECT_EQ(itself.target->uuid, "m");
  EXPECT_EQ(itself.master->uuid, "m");
  auto other = chooseSwitchover(f.snapshot, f.type(), f.logical(), std::string("h3"), kNow, true);
  ASSERT_TRUE(other.refusal.empty()) << other.refusal;
  EXPECT_EQ(other.target->uuid, "s2");
  EXPECT_EQ(other.master->uuid, "m");
}

TEST(PickLogical, TheOnlyOneOrTheNamedOne) {
  Fixture f;
  EXPECT_EQ(pickLogical(f.type(), std::nullopt).id.sequence, 0);
  EXPECT_EQ(pickLogical(f.type(), std::string("logicalService0000000000")).id.sequence, 0);
  f.type().logical[3] = f.logical();
  f.type().logical[3].id.sequence = 3;
  EXPECT_EQ(pickLogical(f.type(), std::string("3")).id.sequence, 3);
  try {
    pickLogical(f.type(), std::nullopt);
    FAIL() << "two logical services: one must be named";
  } catch (const CliError& e) {
    EXPECT_EQ(e.exitCode(), kExitUsage);
    EXPECT_STREQ(e.what(), "service type \"Db\" has 2 logical services: name one (0, 3)");
  }
  EXPECT_THROW(pickLogical(f.type(), std::string("x")), CliError);
}

}  // namespace
}  // namespace sm::ctl

#include "manager/ctl/switchover_plan.hpp"

#include <gtest/gtest.h>

#include "manager/ctl/cli_error.hpp"

namespace sm::ctl {
namespace {

constexpr std::int64_t kNow = 1'700'000'000'000;

InstanceView instance(const std::string& uuid, const std::string& host, Role role,
                      config::PhysicalState state = config::PhysicalState::Running) {
  InstanceView i;
  i.uuid = uuid;
  i.data = config::PhysicalServiceData{host, 100, {}, kNow, 1, state};
  i.role = role;
  return i;
}

struct Fixture {
  ClusterView view;
  TypeView type;
  Fixture() {
    type.name = "Db";
    type.stored = config::StoredServiceType{};
    type.stored->type.name = "Db";
    LogicalView logical;
    logical.id = {"Db", 0};
    logical.instances = {instance("m", "h1", Role::Master), instance("s1", "h2", Role::Secondary),
                         instance("s2", "h3", Role::Secondary)};
    type.logical = {logical};
    for (const auto* id : {"h1", "h2", "h3"}) {
      HostView host;
      host.id = id;
      host.data = config::HostData{};
      view.hosts.push_back(host);
    }
  }
  LogicalView& logical() { return type.logical.front(); }
  SwitchoverChoice choose(const std::optional<std::string>& to) {
    return chooseSwitchover(view, type, logical(), to, kNow);
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
  f.logical().instances[1].data->state = config::PhysicalState::Starting;
  EXPECT_EQ(f.choose(std::string("h2")).refusal,
            "s1 on h2 is starting, not running and healthy: it cannot take over");
  f.logical().instances[2].role = Role::Unelected;
  f.type.stored->type.spec.constraints.masterHosts = {"h1", "h2"};
  EXPECT_EQ(f.choose(std::string("h3")).refusal,
            "s2 on h3 is not eligible as master: masterHosts [h1, h2] do not match h3");
}

TEST(ChooseSwitchover, OneAtATimeAndOnlyWithAMaster) {
  Fixture f;
  f.logical().switchover = config::SwitchoverData{"s1", "m", kNow - 10, kNow + 5000};
  EXPECT_NE(f.choose(std::nullopt).refusal.find("in progress"), std::string::npos);
  f.logical().switchover->deadline = kNow - 1;
  EXPECT_TRUE(f.choose(std::nullopt).refusal.empty()) << "an expired one does not count";
  f.logical().instances[0].role = Role::Unelected;
  EXPECT_NE(f.choose(std::nullopt).refusal.find("has no master"), std::string::npos);
}

TEST(ChooseSwitchover, ForceNamesAHeldPromotionCandidateOrAnotherMember) {
  Fixture f;
  f.logical().instances[0].role = Role::Candidate;  // first, held by maxLag: no master
  EXPECT_NE(f.choose(std::string("h1")).refusal.find("has no master"), std::string::npos)
      << "without --force";
  auto itself = chooseSwitchover(f.view, f.type, f.logical(), std::string("h1"), kNow, true);
  ASSERT_TRUE(itself.refusal.empty()) << itself.refusal;
  EXPECT_EQ(itself.target->uuid, "m");
  EXPECT_EQ(itself.master->uuid, "m");
  auto other = chooseSwitchover(f.view, f.type, f.logical(), std::string("h3"), kNow, true);
  ASSERT_TRUE(other.refusal.empty()) << other.refusal;
  EXPECT_EQ(other.target->uuid, "s2");
  EXPECT_EQ(other.master->uuid, "m");
}

TEST(PickLogical, TheOnlyOneOrTheNamedOne) {
  Fixture f;
  EXPECT_EQ(pickLogical(f.type, std::nullopt).id.sequence, 0);
  EXPECT_EQ(pickLogical(f.type, std::string("logicalService0000000000")).id.sequence, 0);
  f.type.logical.push_back(f.type.logical.front());
  f.type.logical.back().id.sequence = 3;
  EXPECT_EQ(pickLogical(f.type, std::string("3")).id.sequence, 3);
  try {
    pickLogical(f.type, std::nullopt);
    FAIL() << "two logical services: one must be named";
  } catch (const CliError& e) {
    EXPECT_EQ(e.exitCode(), kExitUsage);
    EXPECT_STREQ(e.what(), "service type \"Db\" has 2 logical services: name one (0, 3)");
  }
  EXPECT_THROW(pickLogical(f.type, std::string("x")), CliError);
}

}  // namespace
}  // namespace sm::ctl

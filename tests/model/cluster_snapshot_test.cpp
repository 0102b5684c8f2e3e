#include <gtest/gtest.h>

#include "tests/model/snapshot_builder.hpp"

namespace sm::daemon {
namespace {

using testutil::makeType;
using testutil::SnapshotBuilder;

const config::LogicalServiceId kDb0{"db", 0};
const config::LogicalServiceId kDb1{"db", 1};

TEST(ClusterSnapshot, LookupByNameAndId) {
  const model::ClusterSnapshot s = SnapshotBuilder().type(makeType("db"), 2).build();
  ASSERT_NE(s.type("db"), nullptr);
  EXPECT_EQ(s.type("web"), nullptr);
  ASSERT_NE(s.logical(kDb1), nullptr);
  EXPECT_EQ(s.logical(kDb1)->id, kDb1);
  EXPECT_EQ(s.logical(config::LogicalServiceId{"db", 2}), nullptr);
  EXPECT_EQ(s.logical(config::LogicalServiceId{"web", 0}), nullptr);
}

TEST(ClusterSnapshot, MasterIsTheFirstElectionMember) {
  const model::ClusterSnapshot s = SnapshotBuilder()
                                .type(makeType("db"), 2)
                                .instance(kDb0, "u1", "h1")
                                .instance(kDb0, "u2", "h2")
                                .instance(kDb0, "u3", "h3", /*elect=*/false)
                                .build();
  const model::LogicalServiceView& db0 = *s.logical(kDb0);
  EXPECT_EQ(db0.masterUuid(), "u1");
  EXPECT_EQ(db0.electionIndex("u1"), 0u);
  EXPECT_EQ(db0.electionIndex("u2"), 1u);
  EXPECT_EQ(db0.electionIndex("u3"), std::nullopt);
  EXPECT_EQ(s.logical(kDb1)->masterUuid(), std::nullopt);
}

TEST(ClusterSnapshot, UndecodableFirstMemberMeansNoKnownMaster) {
  model::ClusterSnapshot s = SnapshotBuilder().type(makeType("db")).instance(kDb0, "u1", "h1").build();
  auto& election = s.types["db"].logical[0].election;
  election.insert(election.begin(), model::ElectionMember{"lock-x-0000000000", 0, std::nullopt, "", 0});
  EXPECT_EQ(s.logical(kDb0)->masterUuid(), std::nullopt);
  EXPECT_EQ(s.logical(kDb0)->electionIndex("u1"), 1u);  // the broken member still holds a place
  EXPECT_FALSE(s.hasMaster("db"));
}

TEST(ClusterSnapshot, InstancesOnHostCountsTypeAndLogical) {
  const model::ClusterSnapshot s = SnapshotBuilder()
                                .type(makeType("db"), 2)
                                .type(makeType("web"))
                                .instance(kDb0, "u1", "h1")
                                .instance(kDb0, "u2", "h2")
                                .instance(kDb1, "u3", "h1")
                                .instance({"web", 0}, "u4", "h1")
                                .undecodableInstance(kDb1, "u5")
                                .build();
  EXPECT_EQ(s.instancesOnHost("db", "h1"), 2);
  EXPECT_EQ(s.instancesOnHost("db", "h2"), 1);
  EXPECT_EQ(s.instancesOnHost("db", "h3"), 0);
  EXPECT_EQ(s.instancesOnHost("nope", "h1"), 0);
  EXPECT_EQ(s.instancesOnHost(kDb0, "h1"), 1);
  EXPECT_EQ(s.instancesOnHost(kDb1, "h1"), 1);
  EXPECT_EQ(s.instancesOnHost(config::LogicalServiceId{"db", 7}, "h1"), 0);
}

TEST(ClusterSnapshot, HasMasterNeedsEveryLogicalServiceElected) {
  SnapshotBuilder b;
  b.type(makeType("db"), 2).instance(kDb0, "u1", "h1");
  EXPECT_FALSE(b.build().hasMaster("db"));
  b.instance(kDb1, "u2", "h2");
  EXPECT_TRUE(b.build().hasMaster("db"));
}

TEST(ClusterSnapshot, HasMasterIsFalseForMissingEmptyOrUnreadableTypes) {
  const model::ClusterSnapshot s =
      SnapshotBuilder()
          .type(makeType("empty"), 0)
          .unreadableType("broken")
          .instance({"broken", 0}, "u1", "h1")  // elected, yet its spec cannot be read
          .build();
  EXPECT_FALSE(s.hasMaster("missing"));
  EXPECT_FALSE(s.hasMaster("empty"));
  EXPECT_FALSE(s.hasMaster("broken"));
}

}  // namespace
}  // namespace sm::daemon

namespace sm::daemon {
namespace {

TEST(ClusterSnapshot, OperatorsReadTheMasterThenTheChainThenTheUnelected) {
  const model::ClusterSnapshot s = testutil::SnapshotBuilder()
                                       .type(testutil::makeType("db"))
                                       .instance({"db", 0}, "z-master", "h1")
                                       .instance({"db", 0}, "a-unelected", "h2", false)
                                       .instance({"db", 0}, "m-next", "h3")
                                       .build();
  const auto* logical = s.logical({"db", 0});
  std::vector<std::string> order;
  for (const auto* view : logical->inFailoverOrder()) order.push_back(view->uuid);
  EXPECT_EQ(order, (std::vector<std::string>{"z-master", "m-next", "a-unelected"}));
  EXPECT_EQ(logical->roleOf("z-master"), model::Role::Master);
  EXPECT_EQ(logical->roleOf("m-next"), model::Role::Secondary);
  EXPECT_EQ(logical->roleOf("a-unelected"), model::Role::Unelected);
  EXPECT_EQ(logical->electionSequenceOf("m-next"), 1);
  EXPECT_EQ(logical->epoch(), 0);
  EXPECT_EQ(s.masterCount("db"), 1u);
  EXPECT_EQ(s.instanceCount("db"), 3u);
}

}  // namespace
}  // namespace sm::daemon

namespace sm::daemon {
namespace {

TEST(ClusterSnapshot, MasterEpochNeedsARegisteredMaster) {
  model::ClusterSnapshot s = testutil::SnapshotBuilder()
                                 .type(testutil::makeType("db"), 2)
                                 .electionMember({"db", 0}, "gone", "h1")
                                 .instance({"db", 0}, "next", "h2")
                                 .instance({"db", 1}, "u1", "h1")
                                 .build();
  const auto* db0 = s.logical({"db", 0});
  EXPECT_EQ(db0->epoch(), 0) << "the first member holds the epoch";
  EXPECT_EQ(db0->master(), nullptr) << "its instance is not registered";
  EXPECT_EQ(db0->masterEpoch(), std::nullopt);
  EXPECT_EQ(s.logical({"db", 1})->masterEpoch(), 0);
  s.types["db"].logical[0].election.erase(s.types["db"].logical[0].election.begin());
  EXPECT_EQ(s.logical({"db", 0})->masterEpoch(), 1) << "the next in line took over";
}

}  // namespace
}  // namespace sm::daemon

#include "manager/daemon/reconcile/holder_decision.hpp"

#include <gtest/gtest.h>

#include "tests/model/snapshot_builder.hpp"

namespace sm::daemon {
namespace {

using testutil::busy;
using testutil::SnapshotBuilder;
using testutil::typeWith;
using Kind = HolderDecision::Kind;

constexpr std::int64_t kNow = 1'700'000'000'000;
const config::LogicalServiceId kL0{"web", 0};

// h1 is busier than h2.
model::ClusterSnapshot twoHosts(config::Constraints constraints = {}) {
  return SnapshotBuilder()
      .host("h1", busy(3))
      .host("h2", busy(0))
      .type(typeWith(1, 3, std::move(constraints)))
      .createLock(kL0)
      .build();
}

HolderDecision decide(const model::ClusterSnapshot& snapshot, const std::string& host,
                      std::int64_t registered) {
  return decideAsHolder({snapshot, kL0, host, kNow, registered});
}

TEST(HolderDecision, ANamedHostPlacesWhateverItsRank) {
  // The monitor holder ranked the hosts when it named this one: h1 ranks worse, and places.
  const auto d = decide(twoHosts(), "h1", 0);
  EXPECT_EQ(d.kind, Kind::Place);
  EXPECT_FALSE(d.lastReplica);
  EXPECT_TRUE(decide(twoHosts(), "h2", 2).lastReplica);
}

TEST(HolderDecision, AFullOrVanishedLogicalServiceIsReleased) {
  EXPECT_EQ(decide(twoHosts(), "h2", 3).kind, Kind::Release);
  EXPECT_EQ(decide(twoHosts(), "h2", -1).kind, Kind::Release);
  EXPECT_EQ(decide(twoHosts(), "h9", 0).kind, Kind::Release);  // no host node
}

TEST(HolderDecision, AnInfeasibleHostReleasesWithTheReason) {
  config::Constraints c;
  c.denyHosts = {"h2"};
  const auto d = decide(twoHosts(c), "h2", 0);
  EXPECT_EQ(d.kind, Kind::Release);
  EXPECT_NE(d.reason.find("h2"), std::string::npos) << d.reason;
}

TEST(HolderDecision, ClusterWideConstraintsAreTheMonitorHolders) {
  // dependsOn looks at another type's masters, which a named host does not read.
  config::Constraints c;
  c.dependsOn = {"db"};
  EXPECT_EQ(decide(twoHosts(c), "h2", 0).kind, Kind::Place);
}

}  // namespace
}  // namespace sm::daemon

#include "manager/daemon/placement/cordon_constraint.hpp"

#include <gtest/gtest.h>

#include "manager/daemon/placement/placement.hpp"
#include "tests/model/snapshot_builder.hpp"

namespace sm::daemon::placement {
namespace {

using testutil::makeType;
using testutil::SnapshotBuilder;

TEST(CordonConstraint, ACordonedHostTakesNothingWithTheOperatorsReason) {
  const auto type = makeType("web");
  auto snap = SnapshotBuilder().host("h1").host("h2").host("h3").build();
  snap.cordons["h1"] = model::CordonView{config::CordonData{1000, "disk swap"}, ""};
  snap.cordons["h2"] = model::CordonView{config::CordonData{1000, ""}, ""};
  snap.cordons["gone"] = model::CordonView{config::CordonData{1000, ""}, ""};
  const PlacementRequest request{type, {"web", 0}, snap, 10'000};
  const CordonConstraint constraint;
  EXPECT_EQ(constraint.name(), "cordon");
  EXPECT_EQ(constraint.check(request, snap.hosts.at("h1")), "cordoned: disk swap");
  EXPECT_EQ(constraint.check(request, snap.hosts.at("h2")), "cordoned");
  EXPECT_EQ(constraint.check(request, snap.hosts.at("h3")), std::nullopt);
}

TEST(CordonConstraint, AnUnreadableMarkStillCordons) {
  const auto type = makeType("web");
  auto snap = SnapshotBuilder().host("h1").build();
  snap.cordons["h1"] = model::CordonView{std::nullopt, "bad json"};
  const PlacementRequest request{type, {"web", 0}, snap, 10'000};
  EXPECT_EQ(CordonConstraint().check(request, snap.hosts.at("h1")), "cordoned");
}

TEST(CordonConstraint, IsInEveryTypesChainAndRanksTheHostOut) {
  const auto type = makeType("web");
  auto snap = SnapshotBuilder().host("h1").host("h2").type(type).build();
  snap.cordons["h1"] = model::CordonView{config::CordonData{1000, ""}, ""};
  const PlacementRequest request{type, {"web", 0}, snap, 10'000};
  EXPECT_EQ(rankFeasibleHosts(request), std::vector<std::string>{"h2"});
}

}  // namespace
}  // namespace sm::daemon::placement

#include "manager/daemon/placement/max_per_host_constraint.hpp"

#include <gtest/gtest.h>

#include "tests/model/snapshot_builder.hpp"

namespace sm::daemon::placement {
namespace {

using testutil::makeType;
using testutil::SnapshotBuilder;

TEST(MaxPerHostConstraint, CountsReplicasOfTheSameLogicalServiceOnly) {
  const auto type = makeType("web");
  const auto snap = SnapshotBuilder()
                        .host("h1")
                        .host("h2")
                        .type(type, 2)
                        .type(makeType("db"))
                        .instance({"web", 1}, "u1", "h1")
                        .instance({"web", 1}, "u2", "h1")
                        .instance({"web", 0}, "u5", "h2")  // another logical service does not count
                        .instance({"db", 0}, "u3", "h2")   // nor does another type
                        .instance({"web", 1}, "u4", "h2")
                        .build();
  const PlacementRequest request{type, {"web", 1}, snap};
  const MaxPerHostConstraint constraint(2);
  EXPECT_EQ(constraint.name(), "maxPerHost");
  EXPECT_EQ(constraint.check(request, snap.hosts.at("h1")),
            "maxPerHost 2 reached (2 of this logical service running)");
  EXPECT_EQ(constraint.check(request, snap.hosts.at("h2")), std::nullopt);
}

TEST(MaxPerHostConstraint, OneReachedByASingleInstance) {
  const auto type = makeType("web");
  const auto snap =
      SnapshotBuilder().host("h1").type(type).instance({"web", 0}, "u1", "h1").build();
  const PlacementRequest request{type, {"web", 0}, snap};
  EXPECT_EQ(MaxPerHostConstraint(1).check(request, snap.hosts.at("h1")),
            "maxPerHost 1 reached (1 of this logical service running)");
}

}  // namespace
}  // namespace sm::daemon::placement

#include "manager/daemon/placement/deny_hosts_constraint.hpp"

#include <gtest/gtest.h>

#include "tests/model/snapshot_builder.hpp"

namespace sm::daemon::placement {
namespace {

using testutil::makeType;
using testutil::SnapshotBuilder;

TEST(DenyHostsConstraint, FailsOnTheFirstMatchingPattern) {
  const auto type = makeType("web");
  const auto snap = SnapshotBuilder().host("h2").host("db1").build();
  const PlacementRequest request{type, {"web", 0}, snap};
  const DenyHostsConstraint constraint({"x?", "h*", "h2"});
  EXPECT_EQ(constraint.name(), "denyHosts");
  EXPECT_EQ(constraint.check(request, snap.hosts.at("h2")),
            "denyHosts matches \"h2\" (pattern \"h*\")");
  EXPECT_EQ(constraint.check(request, snap.hosts.at("db1")), std::nullopt);
}

}  // namespace
}  // namespace sm::daemon::placement

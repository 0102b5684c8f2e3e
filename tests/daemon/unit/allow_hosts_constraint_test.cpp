#include "manager/daemon/placement/allow_hosts_constraint.hpp"

#include <gtest/gtest.h>

#include "tests/model/snapshot_builder.hpp"

namespace sm::daemon::placement {
namespace {

using testutil::makeType;
using testutil::SnapshotBuilder;

TEST(AllowHostsConstraint, PassesAHostMatchingAnyPattern) {
  const auto type = makeType("web");
  const auto snap = SnapshotBuilder().host("ds1").host("web7").host("x").build();
  const PlacementRequest request{type, {"web", 0}, snap};
  const AllowHostsConstraint constraint({"ds[0-9]", "web*"});
  EXPECT_EQ(constraint.name(), "allowHosts");
  EXPECT_EQ(constraint.check(request, snap.hosts.at("ds1")), std::nullopt);
  EXPECT_EQ(constraint.check(request, snap.hosts.at("web7")), std::nullopt);
  EXPECT_EQ(constraint.check(request, snap.hosts.at("x")),
            "allowHosts does not match \"x\" (patterns \"ds[0-9]\", \"web*\")");
}

TEST(AllowHostsConstraint, EmptyListAllowsEveryHost) {
  const auto type = makeType("web");
  const auto snap = SnapshotBuilder().host("anything").build();
  const PlacementRequest request{type, {"web", 0}, snap};
  EXPECT_EQ(AllowHostsConstraint({}).check(request, snap.hosts.at("anything")), std::nullopt);
}

}  // namespace
}  // namespace sm::daemon::placement

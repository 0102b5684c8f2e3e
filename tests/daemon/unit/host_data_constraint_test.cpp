#include "manager/daemon/placement/host_data_constraint.hpp"

#include <gtest/gtest.h>

#include "tests/model/snapshot_builder.hpp"

namespace sm::daemon::placement {
namespace {

using testutil::makeType;
using testutil::SnapshotBuilder;

TEST(HostDataConstraint, PassesReadableAndFailsUnreadableHost) {
  const auto type = makeType("web");
  const auto snap = SnapshotBuilder().host("h1").unreadableHost("h2").build();
  const PlacementRequest request{type, {"web", 0}, snap};
  const HostDataConstraint constraint;
  EXPECT_EQ(constraint.name(), "hostData");
  EXPECT_EQ(constraint.check(request, snap.hosts.at("h1")), std::nullopt);
  EXPECT_EQ(constraint.check(request, snap.hosts.at("h2")), "host data of \"h2\" is unreadable");
}

}  // namespace
}  // namespace sm::daemon::placement

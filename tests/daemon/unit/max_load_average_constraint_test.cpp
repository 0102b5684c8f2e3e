#include "manager/daemon/placement/max_load_average_constraint.hpp"

#include <gtest/gtest.h>

#include "tests/model/snapshot_builder.hpp"

namespace sm::daemon::placement {
namespace {

using testutil::idleHost;
using testutil::makeType;
using testutil::SnapshotBuilder;

config::HostData withLoad(double load) {
  config::HostData data = idleHost();
  data.load = load;
  return data;
}

TEST(MaxLoadAverageConstraint, LoadMustNotExceedTheLimit) {
  const auto type = makeType("web");
  const auto snap =
      SnapshotBuilder().host("busy", withLoad(3.5)).host("edge", withLoad(2.0)).build();
  const PlacementRequest request{type, {"web", 0}, snap};
  const MaxLoadAverageConstraint constraint(2.0);
  EXPECT_EQ(constraint.name(), "maxLoadAverage");
  EXPECT_EQ(constraint.check(request, snap.hosts.at("busy")), "load 3.5 > maxLoadAverage 2");
  EXPECT_EQ(constraint.check(request, snap.hosts.at("edge")), std::nullopt);
}

}  // namespace
}  // namespace sm::daemon::placement

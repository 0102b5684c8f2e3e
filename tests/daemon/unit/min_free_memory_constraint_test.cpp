#include "manager/daemon/placement/min_free_memory_constraint.hpp"

#include <gtest/gtest.h>

#include "tests/model/snapshot_builder.hpp"

namespace sm::daemon::placement {
namespace {

using testutil::idleHost;
using testutil::makeType;
using testutil::SnapshotBuilder;

config::HostData withFree(std::int64_t freeMB) {
  config::HostData data = idleHost();
  data.capacity.freeMemoryMB = freeMB;
  return data;
}

TEST(MinFreeMemoryConstraint, NeedsAtLeastTheMinimum) {
  const auto type = makeType("web");
  const auto snap =
      SnapshotBuilder().host("small", withFree(100)).host("exact", withFree(512)).build();
  const PlacementRequest request{type, {"web", 0}, snap};
  const MinFreeMemoryConstraint constraint(512);
  EXPECT_EQ(constraint.name(), "minFreeMemoryMB");
  EXPECT_EQ(constraint.check(request, snap.hosts.at("small")),
            "free memory 100 MB < minFreeMemoryMB 512");
  EXPECT_EQ(constraint.check(request, snap.hosts.at("exact")), std::nullopt);
}

}  // namespace
}  // namespace sm::daemon::placement

#include "manager/daemon/placement/host_labels_constraint.hpp"

#include <gtest/gtest.h>

#include "tests/model/snapshot_builder.hpp"

namespace sm::daemon::placement {
namespace {

using testutil::idleHost;
using testutil::makeType;
using testutil::SnapshotBuilder;

config::HostData labelled(std::map<std::string, std::string> labels) {
  config::HostData data = idleHost();
  data.labels = std::move(labels);
  return data;
}

TEST(HostLabelsConstraint, EveryLabelMustEqualTheHosts) {
  const auto type = makeType("web");
  const auto snap = SnapshotBuilder()
                        .host("match", labelled({{"disk", "ssd"}, {"zone", "eu"}, {"x", "1"}}))
                        .host("wrong", labelled({{"disk", "ssd"}, {"zone", "us"}}))
                        .host("missing", labelled({{"zone", "eu"}}))
                        .unreadableHost("broken")
                        .build();
  const PlacementRequest request{type, {"web", 0}, snap};
  const HostLabelsConstraint constraint({{"disk", "ssd"}, {"zone", "eu"}});
  EXPECT_EQ(constraint.name(), "hostLabels");
  EXPECT_EQ(constraint.check(request, snap.hosts.at("match")), std::nullopt);
  EXPECT_EQ(constraint.check(request, snap.hosts.at("wrong")),
            "hostLabels zone=\"eu\" but host has zone=\"us\"");
  EXPECT_EQ(constraint.check(request, snap.hosts.at("missing")),
            "hostLabels disk=\"ssd\" but host has no label disk");
  EXPECT_EQ(constraint.check(request, snap.hosts.at("broken")),
            "host data of \"broken\" is unreadable");
}

}  // namespace
}  // namespace sm::daemon::placement

#include "manager/daemon/placement/depends_on_constraint.hpp"

#include <gtest/gtest.h>

#include "tests/model/snapshot_builder.hpp"

namespace sm::daemon::placement {
namespace {

using testutil::makeType;
using testutil::SnapshotBuilder;

std::optional<std::string> checkWith(const model::ClusterSnapshot& snap) {
  const auto type = makeType("web");
  const PlacementRequest request{type, {"web", 0}, snap};
  return DependsOnConstraint({"cache", "db"}).check(request, model::HostView{"h1", std::nullopt, "", 0});
}

TEST(DependsOnConstraint, PassesWhenEveryDependencyHasMasters) {
  const auto snap = SnapshotBuilder()
                        .type(makeType("cache"))
                        .type(makeType("db"), 2)
                        .instance({"cache", 0}, "c1", "h1")
                        .instance({"db", 0}, "d1", "h1")
                        .instance({"db", 1}, "d2", "h2")
                        .build();
  EXPECT_EQ(DependsOnConstraint({"db"}).name(), "dependsOn");
  EXPECT_EQ(checkWith(snap), std::nullopt);
}

TEST(DependsOnConstraint, NamesTheFirstDependencyThatIsNotUp) {
  SnapshotBuilder b;
  b.type(makeType("cache")).instance({"cache", 0}, "c1", "h1");
  EXPECT_EQ(checkWith(b.build()), "dependsOn: type \"db\" does not exist");
  b.type(makeType("db"), 0);
  EXPECT_EQ(checkWith(b.build()), "dependsOn: type \"db\" has no logical service");
  b.type(makeType("db"), 2).instance({"db", 0}, "d1", "h1");
  EXPECT_EQ(checkWith(b.build()), "dependsOn: type \"db\" has no master");
  EXPECT_EQ(checkWith(SnapshotBuilder().unreadableType("cache").build()),
            "dependsOn: type \"cache\" is unreadable");
}

}  // namespace
}  // namespace sm::daemon::placement

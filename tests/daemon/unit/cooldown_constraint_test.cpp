#include "manager/daemon/placement/cooldown_constraint.hpp"

#include <gtest/gtest.h>

#include "tests/model/snapshot_builder.hpp"

namespace sm::daemon::placement {
namespace {

using testutil::idleHost;
using testutil::makeType;
using testutil::SnapshotBuilder;

config::HostData cooling(std::vector<config::HostCooldown> cooldowns) {
  config::HostData data = idleHost();
  data.cooldowns = std::move(cooldowns);
  return data;
}

TEST(CooldownConstraint, FailsWhileTheTypeCoolsDownOnTheHost) {
  const auto type = makeType("web");
  const auto snap =
      SnapshotBuilder()
          .host("h1",
                cooling({{"web", 20'500, "crash loop: 5 exits in 60 s"}, {"web", 12'000, ""}}))
          .build();
  const PlacementRequest request{type, {"web", 0}, snap, 10'000};
  const CooldownConstraint constraint;
  EXPECT_EQ(constraint.name(), "cooldown");
  // The latest of two entries binds; the time left rounds up.
  EXPECT_EQ(constraint.check(request, snap.hosts.at("h1")),
            "cooldown for type \"web\" (11 s left): crash loop: 5 exits in 60 s");
}

TEST(CooldownConstraint, PassesWhenExpiredOrForAnotherType) {
  const auto type = makeType("web");
  const auto snap = SnapshotBuilder()
                        .host("expired", cooling({{"web", 10'000, "crash loop"}}))
                        .host("other", cooling({{"db", 99'000, "crash loop"}}))
                        .host("plain")
                        .build();
  const PlacementRequest request{type, {"web", 0}, snap, 10'000};
  const CooldownConstraint constraint;
  for (const auto& [id, host] : snap.hosts) {
    EXPECT_EQ(constraint.check(request, host), std::nullopt) << id;
  }
}

TEST(CooldownConstraint, OmitsAnEmptyReason) {
  const auto type = makeType("web");
  const auto snap = SnapshotBuilder().host("h1", cooling({{"web", 10'001, ""}})).build();
  const PlacementRequest request{type, {"web", 0}, snap, 10'000};
  EXPECT_EQ(CooldownConstraint().check(request, snap.hosts.at("h1")),
            "cooldown for type \"web\" (1 s left)");
}

}  // namespace
}  // namespace sm::daemon::placement

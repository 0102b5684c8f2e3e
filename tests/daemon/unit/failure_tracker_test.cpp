#include "manager/daemon/reconcile/failure_tracker.hpp"

#include <gtest/gtest.h>

namespace sm::daemon {
namespace {

constexpr std::int64_t kT0 = 1'700'000'000'000;

// Backoff 100 ms doubling up to 1 s; crash loop at `failures` exits within `windowSeconds`.
config::Restart restart(std::int64_t failures = 1000, std::int64_t windowSeconds = 60) {
  config::Restart r;
  r.backoffInitialMs = 100;
  r.backoffMaxMs = 1000;
  r.crashLoop.failures = failures;
  r.crashLoop.windowSeconds = windowSeconds;
  return r;
}

TEST(FailureTracker, AnUnknownTypeMayStart) {
  FailureTracker tracker;
  EXPECT_TRUE(tracker.mayStart("web", kT0));
  EXPECT_TRUE(tracker.cooldowns(kT0).empty());
  EXPECT_EQ(tracker.nextExpiry(kT0), std::nullopt);
}

TEST(FailureTracker, BackoffDoublesUpToTheMax) {
  FailureTracker tracker;
  const auto r = restart();
  std::vector<std::int64_t> waits;
  std::int64_t now = kT0;
  for (int i = 0; i < 7; ++i) {
    const auto verdict = tracker.recordExit("web", r, now, "exited with status 1");
    EXPECT_FALSE(verdict.crashLoop);
    EXPECT_EQ(verdict.message, "exited with status 1");
    waits.push_back(verdict.retryAtMs - now);
    now = verdict.retryAtMs;  // it restarted when allowed, and exited at once
  }
  EXPECT_EQ(waits, (std::vector<std::int64_t>{100, 200, 400, 800, 1000, 1000, 1000}));
}

TEST(FailureTracker, MayStartOnlyOnceTheBackoffIsOver) {
  FailureTracker tracker;
  const auto verdict = tracker.recordExit("web", restart(), kT0, "exited");
  EXPECT_EQ(verdict.retryAtMs, kT0 + 100);
  EXPECT_FALSE(tracker.mayStart("web", kT0));
  EXPECT_FALSE(tracker.mayStart("web", kT0 + 99));
  EXPECT_TRUE(tracker.mayStart("web", kT0 + 100));
  EXPECT_TRUE(tracker.mayStart("db", kT0));  // other types are not held back
}

TEST(FailureTracker, RecordSteadyResetsTheBackoff) {
  FailureTracker tracker;
  const auto r = restart();
  tracker.recordExit("web", r, kT0, "exited");
  tracker.recordExit("web", r, kT0 + 1000, "exited");
  EXPECT_EQ(tracker.recordExit("web", r, kT0 + 2000, "exited").retryAtMs, kT0 + 2000 + 400);
  tracker.recordSteady("web");
  EXPECT_EQ(tracker.recordExit("web", r, kT0 + 3000, "exited").retryAtMs, kT0 + 3000 + 100);
  tracker.recordSteady("unknown");  // harmless
  EXPECT_TRUE(tracker.mayStart("unknown", kT0));
}

TEST(FailureTracker, CrashLoopAfterNExitsWithinTheWindow) {
  FailureTracker tracker;
  const auto r = restart(3, 10);
  EXPECT_FALSE(tracker.recordExit("web", r, kT0, "exited with status 1").crashLoop);
  EXPECT_FALSE(tracker.recordExit("web", r, kT0 + 1000, "exited with status 1").crashLoop);
  const std::int64_t now = kT0 + 2000;
  const auto verdict = tracker.recordExit("web", r, now, "exited with status 2");
  EXPECT_TRUE(verdict.crashLoop);
  EXPECT_NE(verdict.message.find("crash loop"), std::string::npos) << verdict.message;
  EXPECT_NE(verdict.message.find("3 exits in 10 s"), std::string::npos) << verdict.message;
  EXPECT_NE(verdict.message.find("exited with status 2"), std::string::npos) << verdict.message;
  // It stays away for the whole window.
  EXPECT_GE(verdict.retryAtMs, now + 10'000);
  EXPECT_FALSE(tracker.mayStart("web", now + 9'999));

  const auto cooldowns = tracker.cooldowns(now);
  ASSERT_EQ(cooldowns.size(), 1u);
  EXPECT_EQ(cooldowns[0], (config::HostCooldown{"web", now + 10'000, verdict.message}));
}

TEST(FailureTracker, ExitsOutsideTheWindowDoNotCount) {
  FailureTracker tracker;
  const auto r = restart(3, 10);
  EXPECT_FALSE(tracker.recordExit("web", r, kT0, "exited").crashLoop);
  EXPECT_FALSE(tracker.recordExit("web", r, kT0 + 6'000, "exited").crashLoop);
  // The first exit is now exactly a window old: two exits in the window.
  EXPECT_FALSE(tracker.recordExit("web", r, kT0 + 10'000, "exited").crashLoop);
  EXPECT_TRUE(tracker.recordExit("web", r, kT0 + 11'000, "exited").crashLoop);
}

TEST(FailureTracker, ACrashLoopStartsANewCount) {
  FailureTracker tracker;
  const auto r = restart(2, 10);
  tracker.recordExit("web", r, kT0, "exited");
  ASSERT_TRUE(tracker.recordExit("web", r, kT0 + 1, "exited").crashLoop);
  // After the cooldown, one more exit is not yet a crash loop.
  EXPECT_FALSE(tracker.recordExit("web", r, kT0 + 10'002, "exited").crashLoop);
}

TEST(FailureTracker, CooldownsExpire) {
  FailureTracker tracker;
  const auto r = restart(1, 5);
  ASSERT_TRUE(tracker.recordExit("web", r, kT0, "exited").crashLoop);
  EXPECT_EQ(tracker.cooldowns(kT0 + 4'999).size(), 1u);
  EXPECT_TRUE(tracker.cooldowns(kT0 + 5'000).empty());
  EXPECT_TRUE(tracker.cooldowns(kT0 + 60'000).empty());
}

TEST(FailureTracker, CooldownsAreSortedByType) {
  FailureTracker tracker;
  const auto r = restart(1, 5);
  tracker.recordExit("zeta", r, kT0, "exited");
  tracker.recordExit("alpha", r, kT0, "exited");
  tracker.recordExit("mid", restart(), kT0, "exited");  // backoff only, no cooldown
  const auto cooldowns = tracker.cooldowns(kT0);
  ASSERT_EQ(cooldowns.size(), 2u);
  EXPECT_EQ(cooldowns[0].type, "alpha");
  EXPECT_EQ(cooldowns[1].type, "zeta");
}

TEST(FailureTracker, NextExpiryIsTheEarliestFutureEnd) {
  FailureTracker tracker;
  tracker.recordExit("web", restart(), kT0, "exited");     // retry at +100
  tracker.recordExit("db", restart(1, 5), kT0, "exited");  // retry and cooldown at +5000
  EXPECT_EQ(tracker.nextExpiry(kT0), kT0 + 100);
  EXPECT_EQ(tracker.nextExpiry(kT0 + 100), kT0 + 5'000);
  EXPECT_EQ(tracker.nextExpiry(kT0 + 4'999), kT0 + 5'000);
  EXPECT_EQ(tracker.nextExpiry(kT0 + 5'000), std::nullopt);
}

TEST(FailureTracker, NextExpiryOfACooldownLongerThanTheBackoff) {
  FailureTracker tracker;
  auto r = restart(1, 5);
  r.backoffInitialMs = 100;
  r.backoffMaxMs = 100;
  const auto verdict = tracker.recordExit("web", r, kT0, "exited");
  ASSERT_TRUE(verdict.crashLoop);
  // The retry is pushed to the cooldown's end; both expire at +5 s.
  EXPECT_EQ(verdict.retryAtMs, kT0 + 5'000);
  EXPECT_EQ(tracker.nextExpiry(kT0), kT0 + 5'000);
  EXPECT_EQ(tracker.nextExpiry(kT0 + 5'000), std::nullopt);
}

TEST(FailureTracker, ACrashLoopOfTheSupervisorCoolsTheTypeDownAtOnce) {
  FailureTracker tracker;
  const auto verdict =
      tracker.recordCrashLoop("web", restart(1000, 30), kT0, "crash loop: 5 failures within 30 s");
  EXPECT_TRUE(verdict.crashLoop);
  EXPECT_EQ(verdict.retryAtMs, kT0 + 30000);
  EXPECT_FALSE(tracker.mayStart("web", kT0 + 29999));
  EXPECT_TRUE(tracker.mayStart("web", kT0 + 30000));
  ASSERT_EQ(tracker.cooldowns(kT0).size(), 1u);
  EXPECT_EQ(tracker.cooldowns(kT0)[0].reason, "crash loop: 5 failures within 30 s");
}

}  // namespace
}  // namespace sm::daemon

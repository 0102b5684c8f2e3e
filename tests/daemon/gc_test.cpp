// servicesctl gc against real daemons: it reaps what a type deleted while its managers were down
// left in locks/, and abandoned federations, never what a live manager or type still uses (the
// H2O seed's "reaper").
#include <gtest/gtest.h>

#include "tests/daemon/support/daemon_cluster.hpp"
#include "tests/support/wait_for.hpp"

namespace sm::test {
namespace {

using std::chrono::milliseconds;

class DaemonGc : public DaemonTest {};

TEST_F(DaemonGc, ReapsTheLocksOfADeletedTypeAndKeepsWhatIsUsed) {
  DemoType kept;
  kept.replicas = 2;
  DemoType gone;
  gone.name = "Gone";
  gone.replicas = 1;
  startDaemons();
  apply(kept);
  apply(gone);
  ASSERT_TRUE(waitConverged("Demo", 1, 2));
  ASSERT_TRUE(waitConverged("Gone", 1, 1));
  const auto monitorLock = layout().serviceConfigMonitorLock("Gone");
  ASSERT_TRUE(session_->exists(monitorLock));

  // Deleted while no manager runs (a cluster stopped for maintenance): nobody is left to remove the
  // type's monitor lock directory, which running managers would do themselves.
  for (const std::string host : {"h1", "h2", "h3"}) EXPECT_EQ(daemon(host).terminate(), 0);
  const auto deleted = ctl({"delete", "Gone"});
  ASSERT_EQ(deleted.exitCode, 0) << deleted.err;

  const auto dry = ctl({"gc", "--dry-run"});
  ASSERT_EQ(dry.exitCode, 0) << dry.err;
  EXPECT_NE(dry.out.find("would remove " + monitorLock + ": service type Gone was deleted"),
            std::string::npos)
      << dry.out;
  EXPECT_TRUE(session_->exists(monitorLock)) << "--dry-run removed something";

  const auto reaped = ctl({"gc"});
  ASSERT_EQ(reaped.exitCode, 0) << reaped.err;
  EXPECT_NE(reaped.out.find("removed      " + monitorLock), std::string::npos) << reaped.out;
  EXPECT_FALSE(session_->exists(monitorLock));
  EXPECT_TRUE(session_->exists(layout().serviceConfigMonitorLock("Demo")));
  startDaemons();
  EXPECT_TRUE(waitConverged("Demo", 1, 2));

  const auto again = ctl({"gc"});
  EXPECT_NE(again.out.find("reaped 0 node(s)"), std::string::npos) << again.out;
}

TEST_F(DaemonGc, ReapsAFederationWithNoHostAndNoTypeUnderAParent) {
  const std::string parent = zroot();
  useRoot(parent + "/live");
  startDaemon("h1");
  DemoType demo;
  demo.replicas = 1;
  apply(demo);
  ASSERT_TRUE(waitConverged("Demo", 1, 1));
  // A federation whose only manager stopped and whose types were deleted.
  auto options = daemonOptions("h9");
  options.root = parent + "/abandoned";
  auto& abandoned = startDaemon(options);
  EXPECT_EQ(abandoned.terminate(), 0);

  const auto reaped = runCtl({"--zk", hosts(), "--root", parent, "gc", "--federations"});
  ASSERT_EQ(reaped.exitCode, 0) << reaped.err;
  EXPECT_NE(reaped.out.find("removed      " + parent + "/abandoned: federation gone"),
            std::string::npos)
      << reaped.out;
  EXPECT_NE(reaped.out.find("kept         " + parent +
                            "/live: federation in use: 1 live host(s), "
                            "1 service type(s)"),
            std::string::npos)
      << reaped.out;
  EXPECT_FALSE(session_->exists(parent + "/abandoned"));
  EXPECT_TRUE(waitConverged("Demo", 1, 1));
}

}  // namespace
}  // namespace sm::test

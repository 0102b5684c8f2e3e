// Invariant I6 against a foreign client: garbage, wrong types and huge values written into the
// znodes of the layout are reported (log, and status for a type) and skipped; every daemon keeps
// serving every other type, and nothing it runs for the damaged type is stopped.
#include <gtest/gtest.h>

#include <fstream>

#include "manager/zk/error.hpp"
#include "tests/daemon/support/daemon_cluster.hpp"
#include "tests/support/wait_for.hpp"

namespace sm::test {
namespace {

using std::chrono::milliseconds;

class DaemonBadData : public DaemonTest {
 protected:
  bool logged(const std::string& needle) {
    for (const std::string host : {"h1", "h2", "h3"}) {
      if (daemon(host).log().find(needle) != std::string::npos) return true;
    }
    return false;
  }
};

TEST_F(DaemonBadData, GarbageWrongTypesAndHugeValuesAreReportedAndSkipped) {
  DemoType good;
  good.replicas = 2;
  DemoType damaged;
  damaged.name = "Damaged";
  damaged.replicas = 2;
  startDaemons();
  apply(good);
  apply(damaged);
  ASSERT_TRUE(waitConverged("Demo", 1, 2));
  ASSERT_TRUE(waitConverged("Damaged", 1, 2));
  const auto l = layout();
  const auto before = snapshot();
  const auto& damagedLogical = before.type("Damaged")->logical.begin()->second;
  std::vector<std::int64_t> damagedPids;
  for (const auto& [uuid, i] : damagedLogical.instances) damagedPids.push_back(i.pid);
  const auto& goodLogical = before.type("Demo")->logical.begin()->second;

  // A foreign client, no credentials configured: it may write anything anywhere.
  const std::string huge(1000 * 1000, 'x');
  const auto damagedType = l.serviceType("Damaged");
  const auto goodStatus = l.status(goodLogical.id);
  const auto goodPhysical =
      l.physicalService({goodLogical.id, goodLogical.instances.begin()->first});
  session_->set(damagedType, R"({"format":1,"spec":{"serviceCount":"three"}})");  // wrong types
  session_->create(l.serviceType("Huge"), huge);
  session_->create(l.serviceType("NotJson"), "\xff\xfe{{{");
  if (session_->exists(goodStatus)) {
    session_->set(goodStatus, huge);
  } else {
    session_->create(goodStatus, huge);
  }
  session_->set(goodPhysical, R"({"format":1,"host":42,"pid":"x"})");
  session_->create(l.host("foreign"), huge, zk::CreateMode::Ephemeral);
  session_->create(l.createPhysicalServiceLocksDir() + "/not-a-lock-name", "junk");
  session_->create(l.eventsDir() + "/junk", huge);
  session_->set(l.root(), "[1,2,3]");

  for (const auto& path : {damagedType, l.serviceType("Huge"), l.serviceType("NotJson"), goodStatus,
                           goodPhysical, l.host("foreign")}) {
    EXPECT_TRUE(
        waitFor([&] { return logged("skipping " + path); }, milliseconds(10000), milliseconds(50)))
        << "no daemon reported " << path << "\n"
        << daemon("h1").logTail(20);
  }
  // The damaged type says why in its status, and keeps its instances.
  std::string reason;
  EXPECT_TRUE(waitFor(
      [&] {
        const auto tree = snapshot();
        const auto& status = tree.type("Damaged")->logical.begin()->second.status;
        reason = status ? status->reason : "";
        return reason.find("the type's spec cannot be read") != std::string::npos;
      },
      milliseconds(10000), milliseconds(50)))
      << "status of Damaged: \"" << reason << "\"\n"
      << stateDump();
  for (auto pid : damagedPids) EXPECT_TRUE(pidAlive(static_cast<pid_t>(pid)));

  // Every other type is still served: Demo scales, its status is written again.
  const auto scaled = ctl({"scale", "Demo", "--replicas", "3"});
  ASSERT_EQ(scaled.exitCode, 0) << scaled.err;
  EXPECT_TRUE(waitConverged("Demo", 1, 3));
  for (const std::string host : {"h1", "h2", "h3"}) {
    EXPECT_TRUE(daemon(host).running()) << host << " exited\n" << daemon(host).logTail(30);
  }
  for (const auto& [key, i] : snapshot().allInstances()) {
    EXPECT_NE(i.host, "foreign") << key << " placed on the garbage host";
  }

  // Repaired: the type converges again, with the same processes.
  const auto file = testDir_ / "damaged.yaml";
  std::ofstream(file) << damaged.yaml();
  const auto repaired = ctl({"apply", "--force", "-f", file});
  ASSERT_EQ(repaired.exitCode, 0) << repaired.out << repaired.err;
  EXPECT_TRUE(waitConverged("Damaged", 1, 2));
  for (auto pid : damagedPids) EXPECT_TRUE(pidAlive(static_cast<pid_t>(pid)));
}

}  // namespace
}  // namespace sm::test

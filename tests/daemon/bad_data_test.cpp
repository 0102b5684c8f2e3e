// Invariant I6 against a foreign client: garbage, wrong types and huge values written into the
// znodes of the layout are reported (log, and status for a type) and skipped; every daemon keeps
// serving every other type, and nothing it runs for the damaged type is stopped.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <set>

#include "config/lock_contender_data.hpp"
#include "manager/zk/error.hpp"
#include "manager/zk/sequential_name.hpp"
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

// A host's node of assignments that cannot be decoded: it names nobody (the host ignores it),
// the monitor holder reports it and writes it again, and the replica is placed.
TEST_F(DaemonBadData, AnAssignmentsNodeNobodyCanDecodeIsWrittenAgainAndTheReplicaStillPlaced) {
  DemoType demo;
  demo.replicas = 2;
  demo.constraints = "    maxPerHost: 1\n";
  startDaemons({"h1", "h2", "h3", "h4"});
  apply(demo);
  ASSERT_TRUE(waitConverged("Demo", 1, 2));
  const auto l = layout();
  const auto before = snapshot();
  const auto& logical = before.type("Demo")->logical.begin()->second;
  // A host without a replica that is not the monitor holder: the only one left feasible (the
  // other is cordoned), and frozen, it is named by the scale-up below and cannot take its
  // assignment before the foreign client spoils it.
  std::set<std::string> spares{"h1", "h2", "h3", "h4"};
  for (const auto& [uuid, i] : logical.instances) spares.erase(i.host);
  ASSERT_EQ(spares.size(), 2u);
  const auto withoutReplica = spares;
  const auto monitor = l.serviceConfigMonitorLock("Demo");
  const auto order =
      zk::queueOrder(session_->children(monitor).value_or(std::vector<std::string>{}),
                     config::Layout::kLockChildPrefix);
  ASSERT_FALSE(order.empty());
  const auto holder = config::decodeLockContenderData(
      session_->get(monitor + "/" + order.front().name)->data, monitor);
  ASSERT_TRUE(holder.ok());
  const auto holderHost = holder.value().host;
  spares.erase(holderHost);
  ASSERT_FALSE(spares.empty());
  const auto spare = *spares.begin();
  for (const auto& host : withoutReplica) {
    if (host == spare) continue;
    const auto cordoned = ctl({"cordon", host, "--reason", "not this one"});
    ASSERT_EQ(cordoned.exitCode, 0) << cordoned.err;
  }
  daemon(spare).signal(SIGSTOP);
  demo.replicas = 3;
  apply(demo);
  const auto path = l.assignments(spare, "Demo");
  const bool named = waitFor([&] { return session_->exists(path).has_value(); },
                             milliseconds(10000), milliseconds(20));
  if (named) session_->set(path, "\xff not an assignment");
  if (!named) daemon(spare).signal(SIGCONT);
  ASSERT_TRUE(named) << spare << " was not named\n" << stateDump();

  EXPECT_TRUE(waitFor(
      [&] { return daemon(holderHost).log().find("skipping " + path) != std::string::npos; },
      milliseconds(10000), milliseconds(50)))
      << daemon(holderHost).logTail(20);
  daemon(spare).signal(SIGCONT);
  ASSERT_TRUE(waitConverged("Demo", 1, 3, milliseconds(20000), true));
  bool placedOnSpare = false;
  for (const auto& [key, i] : snapshot().allInstances()) placedOnSpare |= i.host == spare;
  EXPECT_TRUE(placedOnSpare) << stateDump();
}

}  // namespace
}  // namespace sm::test

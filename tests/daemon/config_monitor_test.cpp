// ConfigMonitor in process against a real ZooKeeper: the test is the reconcile loop of one or two
// managers and runs config monitor passes on a fresh snapshot each time.
#include <map>
#include <tuple>

#include <gtest/gtest.h>

#include "config/physical_service_data.hpp"
#include "manager/zk/uuid.hpp"
#include "tests/daemon/support/in_process_daemon.hpp"
#include "tests/support/wait_for.hpp"

namespace sm::test {
namespace {

using namespace std::chrono_literals;

class ConfigMonitorTest : public InProcessDaemonTest {
 protected:
  // Logical services of the type on the server, by sequence.
  std::vector<config::LogicalServiceId> logicals(const std::string& type = "Demo") {
    std::vector<config::LogicalServiceId> ids;
    for (const auto& name : childrenOf(*session_, layout().serviceType(type))) {
      if (auto sequence = config::Layout::parseLogicalServiceName(name)) {
        ids.push_back({type, *sequence});
      }
    }
    return ids;
  }
  bool exists(const std::string& path) {
    session_->sync(path);
    return session_->exists(path).has_value();
  }
  // Every logical service has its directories and its create-lock.
  bool complete(std::size_t count) {
    const auto ids = logicals();
    if (ids.size() != count) return false;
    for (const auto& id : ids) {
      if (!exists(layout().physicalServicesDir(id)) || !exists(layout().electionDir(id)) ||
          !exists(layout().createPhysicalServiceLock(id))) {
        return false;
      }
    }
    return true;
  }
  std::vector<std::string> createLocksOf(const std::string& type) {
    std::vector<std::string> locks;
    for (const auto& name : childrenOf(*session_, layout().createPhysicalServiceLocksDir())) {
      auto id = config::Layout::parseCreateLockName(name);
      if (id && id->type == type) locks.push_back(name);
    }
    return locks;
  }
  // Every node under `path` with its data and child versions: any write below it changes this.
  using Versions = std::map<std::string, std::tuple<std::int32_t, std::int32_t, std::int64_t>>;
  void versionsUnder(const std::string& path, Versions& out) {
    zk::Stat stat;
    auto names = session_->children(path, {}, &stat);
    if (!names) return;
    out[path] = {stat.version, stat.cversion, stat.mzxid};
    for (const auto& name : *names) versionsUnder(path + "/" + name, out);
  }
  Versions typeAndLocks() {
    session_->sync(zroot());
    Versions versions;
    versionsUnder(layout().configDir(), versions);
    versionsUnder(layout().createPhysicalServiceLocksDir(), versions);
    return versions;
  }
};

TEST_F(ConfigMonitorTest, PassesCreateEachLogicalServiceWithItsDirectoriesAndCreateLock) {
  auto& d = startDaemon("h1");
  writeType(*session_, layout(), demoType("Demo", 2, 1));

  ASSERT_TRUE(d.pumpUntil([&] { return complete(2); }, 20s, d.monitorPass()))
      << logicals().size() << " logical services after " << d.passes() << " passes";
  const auto ids = logicals();
  EXPECT_EQ(createLocksOf("Demo").size(), 2u);
  for (const auto& id : ids) {
    EXPECT_TRUE(childrenOf(*session_, layout().physicalServicesDir(id)).empty());
    EXPECT_TRUE(childrenOf(*session_, layout().electionDir(id)).empty());
  }
  const auto lockMembers = childrenOf(*session_, layout().serviceConfigMonitorLock("Demo"));
  EXPECT_EQ(lockMembers.size(), 1u) << "it queued for the type's config monitor lock";

  // Idempotent: more passes on the same tree create nothing more.
  d.runPasses(3, d.monitorPass());
  EXPECT_EQ(logicals(), ids);
  EXPECT_EQ(createLocksOf("Demo").size(), 2u);
}

TEST_F(ConfigMonitorTest, SecondMonitorWritesNothingWhileTheFirstHoldsTheTypeLock) {
  auto& first = startDaemon("h1");
  writeType(*session_, layout(), demoType("Demo", 2, 1));
  ASSERT_TRUE(first.pumpUntil([&] { return complete(2); }, 20s, first.monitorPass()));
  // The first is no longer pumped from here: it still holds the lock (its session lives), and it
  // has not acted on the change below.
  auto& second = startDaemon("h2");
  writeType(*session_, layout(), demoType("Demo", 3, 1));
  const auto before = typeAndLocks();

  second.runPasses(6, second.monitorPass());
  EXPECT_EQ(typeAndLocks(), before) << "the second monitor wrote while the first held the lock";
  EXPECT_EQ(logicals().size(), 2u);
  EXPECT_EQ(childrenOf(*session_, layout().serviceConfigMonitorLock("Demo")).size(), 2u)
      << "the second queues behind the first";

  // Once the first leaves, the second holds the lock and does the write it held back.
  first.monitor().leaveAll();
  ASSERT_TRUE(second.pumpUntil([&] { return complete(3); }, 20s, second.monitorPass()))
      << logicals().size() << " logical services";
}

TEST_F(ConfigMonitorTest, LoweringServiceCountRemovesTheSurplusLogicalServiceOnceItHasNoInstance) {
  auto& d = startDaemon("h1");
  writeType(*session_, layout(), demoType("Demo", 2, 1));
  ASSERT_TRUE(d.pumpUntil([&] { return complete(2); }, 20s, d.monitorPass()));
  const auto ids = logicals();
  const auto kept = ids.front();
  const auto surplus = ids.back();
  // An instance registered in the surplus one (the highest numbered goes first).
  const config::PhysicalServiceId instance{surplus, zk::newUuid()};
  session_->create(layout().physicalService(instance),
                   config::encodePhysicalServiceData({"h1", 4242, {}, 0, 1,
                                                      config::PhysicalState::Running}),
                   zk::CreateMode::Ephemeral);

  writeType(*session_, layout(), demoType("Demo", 1, 1));
  ASSERT_TRUE(d.pumpUntil([&] { return !exists(layout().createPhysicalServiceLock(surplus)); },
                          20s, d.monitorPass()))
      << "a surplus logical service takes no new replica";
  d.runPasses(3, d.monitorPass());
  EXPECT_TRUE(exists(layout().logicalService(surplus))) << "removed while it had an instance";
  EXPECT_TRUE(exists(layout().physicalService(instance)));

  session_->remove(layout().physicalService(instance));
  ASSERT_TRUE(d.pumpUntil([&] { return !exists(layout().logicalService(surplus)); }, 20s,
                          d.monitorPass()));
  EXPECT_EQ(logicals(), std::vector<config::LogicalServiceId>{kept});
  EXPECT_TRUE(exists(layout().createPhysicalServiceLock(kept)));
  EXPECT_TRUE(exists(layout().electionDir(kept)));
}

TEST_F(ConfigMonitorTest, DeletingTheTypeRemovesItsCreateLocks) {
  auto& d = startDaemon("h1");
  writeType(*session_, layout(), demoType("Demo", 2, 1));
  writeType(*session_, layout(), demoType("Other", 1, 1));
  ASSERT_TRUE(d.pumpUntil(
      [&] { return complete(2) && createLocksOf("Other").size() == 1; }, 20s, d.monitorPass()));

  session_->removeRecursive(layout().serviceType("Demo"));
  ASSERT_TRUE(d.pumpUntil([&] { return createLocksOf("Demo").empty(); }, 20s, d.monitorPass()))
      << createLocksOf("Demo").size() << " create-locks of the deleted type left";
  EXPECT_EQ(createLocksOf("Other").size(), 1u) << "another type's lock went too";
  // With its last lock gone the type is forgotten, and its config monitor lock directory goes.
  EXPECT_TRUE(d.pumpUntil([&] { return !exists(layout().serviceConfigMonitorLock("Demo")); }, 20s,
                          d.monitorPass()));
  EXPECT_TRUE(exists(layout().serviceConfigMonitorLock("Other")));
}

}  // namespace
}  // namespace sm::test

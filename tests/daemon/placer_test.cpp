// Placer with a LocalInstances, in process against a real ZooKeeper: the test is the reconcile loop
// and runs placement passes (tick, followMasters, Placer::reconcile) on a fresh snapshot each time.
#include <gtest/gtest.h>

#include "config/assignment_data.hpp"
#include "config/create_lock_data.hpp"
#include "config/lock_contender_data.hpp"
#include "config/physical_service_data.hpp"
#include "manager/zk/session.hpp"
#include "manager/zk/uuid.hpp"
#include "tests/daemon/support/in_process_daemon.hpp"
#include "tests/support/wait_for.hpp"

namespace sm::test {
namespace {

using namespace std::chrono_literals;

class PlacerTest : public InProcessDaemonTest {
 protected:
  void SetUp() override {
    InProcessDaemonTest::SetUp();
    daemon_ = &startDaemon("h1");
    daemon_->hostRegistry().registerHost();
  }

  // A type of one logical service and one replica, its create-lock in place.
  void storeType(const config::ServiceType& type) {
    writeType(*session_, layout(), type);
    createLogical(*session_, layout(), logical_);
  }

  std::vector<std::string> registered() {
    return childrenOf(*session_, layout().physicalServicesDir(logical_));
  }
  std::vector<std::string> queued() {
    return childrenOf(*session_, layout().createPhysicalServiceLock(logical_));
  }
  bool lockExists() {
    const auto lock = layout().createPhysicalServiceLock(logical_);
    session_->sync(lock);
    return session_->exists(lock).has_value();
  }
  bool placedAndLockGone() { return registered().size() == 1 && !lockExists(); }
  // What the holder of the type's config monitor does (flat placement): names h1 a candidate
  // for each of `ids` in its node of Demo.
  void name(const std::vector<config::LogicalServiceId>& ids) {
    config::AssignmentsData data;
    for (const auto& id : ids) data.named[id.sequence] = {daemon::wallNowMs(), 0, 0};
    const auto path = layout().assignments("h1", "Demo");
    session_->ensurePath(layout().hostAssignments("h1"));
    if (session_->exists(path)) {
      session_->set(path, config::encodeAssignmentsData(data));
    } else {
      session_->create(path, config::encodeAssignmentsData(data));
    }
  }
  void assign() { name({logical_}); }
  // The version of h1's node of Demo: the host itself never writes it.
  std::int32_t namesVersion() {
    const auto stat = session_->exists(layout().assignments("h1", "Demo"));
    return stat ? stat->version : -1;
  }

  // Logical services 0..count-1 of Demo, each with its create-lock, h1 named for each.
  void assignMany(std::int64_t count) {
    writeType(*session_, layout(), demoType("Demo", count, 1));
    std::vector<config::LogicalServiceId> ids;
    for (std::int64_t i = 0; i < count; ++i) {
      ids.push_back({"Demo", i});
      createLogical(*session_, layout(), ids.back());
    }
    name(ids);
  }
  // Logical services of Demo whose create-lock has a place in its queue.
  std::size_t inFlight(std::int64_t count) {
    std::size_t queuedIn = 0;
    for (std::int64_t i = 0; i < count; ++i) {
      const config::LogicalServiceId id{"Demo", i};
      if (!childrenOf(*session_, layout().createPhysicalServiceLock(id)).empty()) ++queuedIn;
    }
    return queuedIn;
  }

  InProcessDaemon* daemon_ = nullptr;
  const config::LogicalServiceId logical_{"Demo", 0};
};

TEST_F(PlacerTest, PassesOnOneHostEndWithOneRegisteredInstanceAndTheCreateLockRemoved) {
  storeType(demoType("Demo", 1, 1));
  assign();
  const auto pass = daemon_->placementPass();

  ASSERT_TRUE(daemon_->pumpUntil([&] { return placedAndLockGone(); }, 20s, pass))
      << "registered: " << registered().size() << ", create-lock "
      << (lockExists() ? "still there" : "gone") << " after " << daemon_->passes() << " passes";

  const auto views = daemon_->instances().views();
  ASSERT_EQ(views.size(), 1u);
  EXPECT_TRUE(views[0].registered);
  EXPECT_EQ(views[0].phase, daemon::Phase::Running);
  const auto names = registered();
  ASSERT_EQ(names.size(), 1u);
  EXPECT_EQ(config::Layout::parsePhysicalServiceName(names[0]), views[0].id.uuid);
  const auto path = layout().physicalService(views[0].id);
  const auto data = config::decodePhysicalServiceData(session_->get(path)->data, path).value();
  EXPECT_EQ(data.host, "h1");
  EXPECT_EQ(data.pid, views[0].pid);
  EXPECT_EQ(daemon_->startedPids().size(), 1u) << "one process started for one replica";
  EXPECT_EQ(namesVersion(), 0) << "the host does not write its names";
  // Queue, hold and launch, register: each its own pass, woken by the event before it.
  EXPECT_GE(daemon_->passes(), 3);
  EXPECT_LT(daemon_->longestPass(), 1s) << "a placement pass waited";

  // Full: more passes start nothing more.
  daemon_->runPasses(3, pass);
  EXPECT_EQ(daemon_->instances().views().size(), 1u);
  EXPECT_EQ(registered().size(), 1u);
  EXPECT_EQ(daemon_->startedPids().size(), 1u);
}

// The holder's check of the registered replicas needs no sync() when it learned that it holds
// over the connection it reads over (its predecessor's deletion, told by the server it asks) or
// from a read of the queue (zk::QueueMember::heldThrough).
TEST_F(PlacerTest, AHolderToldOverItsOwnConnectionChecksWithoutASync) {
  storeType(demoType("Demo", 1, 1));
  // Another contender holds the create-lock first.
  const auto ahead = session_->create(
      layout().createPhysicalServiceLock(logical_) + "/" +
          std::string(config::Layout::kLockChildPrefix) + zk::newUuid() + "-",
      config::encodeLockContenderData({"h9", std::nullopt}), zk::CreateMode::EphemeralSequential);
  assign();
  const auto pass = daemon_->placementPass();
  ASSERT_TRUE(daemon_->pumpUntil([&] { return queued().size() == 2; }, 20s, pass));
  // Counted for the whole process: the reads below ask no sync of their own.
  auto syncs = [] {
    for (const auto& [op, count] : zk::requestCounts()) {
      if (op == "sync") return count;
    }
    return std::uint64_t{0};
  };
  const auto before = syncs();
  session_->remove(ahead);
  const auto registeredDir = layout().physicalServicesDir(logical_);
  ASSERT_TRUE(daemon_->pumpUntil(
      [&] {
        return session_->children(registeredDir).value_or(std::vector<std::string>{}).size() == 1;
      },
      20s, pass));
  EXPECT_EQ(syncs(), before) << "told over its own connection, it read without a sync";
  EXPECT_EQ(daemon_->startedPids().size(), 1u);
}

TEST_F(PlacerTest, ReconcileReturnsRightAfterTheLaunchWithoutWaitingForTheProcess) {
  storeType(demoType("Demo", 1, 1));
  assign();
  const auto pass = daemon_->placementPass();

  // Checked right after each pass, before the loop takes the next batch.
  ASSERT_TRUE(daemon_->pumpUntil([&] { return !daemon_->instances().views().empty(); }, 20s, pass));
  const auto views = daemon_->instances().views();
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0].pid, 0) << "the pass that launched it did not return before its start";
  EXPECT_EQ(daemon_->instances().launchState(views[0].id.uuid),
            daemon::LocalInstances::LaunchState::Starting);
  EXPECT_TRUE(registered().empty());
  EXPECT_EQ(queued().size(), 1u) << "it holds the create-lock while its instance starts";
  EXPECT_LT(daemon_->longestPass(), 1s);

  // The Started event wakes the loop; the next pass registers it.
  ASSERT_TRUE(daemon_->pumpUntil([&] { return placedAndLockGone(); }, 20s, pass));
  EXPECT_LT(daemon_->longestPass(), 1s) << "a placement pass waited";
}

TEST_F(PlacerTest, AHostNobodyNamedNeverQueues) {
  storeType(demoType("Demo", 1, 1));
  const auto pass = daemon_->placementPass();
  for (int i = 0; i < 8; ++i) {
    daemon_->runPasses(1, pass, 150ms);
    ASSERT_TRUE(queued().empty()) << "queued for a lock it was not named for, pass " << i;
  }
  EXPECT_TRUE(daemon_->startedPids().empty());
  // Named: the passes above could have placed.
  assign();
  ASSERT_TRUE(daemon_->pumpUntil([&] { return placedAndLockGone(); }, 20s, pass));
}

// A name that came back to life (its host's replica went) is not written again: the host may
// look before the monitor holder has made the create-lock, and must queue once it is made.
TEST_F(PlacerTest, ANamedHostWhoseCreateLockIsNotMadeYetQueuesOnceItIs) {
  storeType(demoType("Demo", 1, 1));
  const auto lock = layout().createPhysicalServiceLock(logical_);
  session_->remove(lock);
  assign();
  // Focused, as the daemon reads: the create-locks are not among what a named host watches.
  const auto pass = daemon_->placementPass(false, true);
  daemon_->runPasses(3, pass, 150ms);
  ASSERT_FALSE(lockExists());
  EXPECT_TRUE(daemon_->startedPids().empty());

  // Made as the config monitor makes it. Nothing the host reads changes with it: the wake-up the
  // loop waits for here can only be the lock's creation.
  session_->create(lock, config::encodeCreateLockData({layout().logicalService(logical_)}));
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  const auto batch = daemon_->inbox.wait(deadline);
  EXPECT_TRUE(batch.passWanted);
  EXPECT_LT(std::chrono::steady_clock::now(), deadline) << "the lock's creation woke no pass";
  ASSERT_TRUE(daemon_->pumpUntil([&] { return placedAndLockGone(); }, 10s, pass))
      << "registered: " << registered().size() << " after " << daemon_->passes() << " passes";
}

TEST_F(PlacerTest, ANamedHostThatIsInfeasibleDeclinesWithoutStartingAnything) {
  auto type = demoType("Demo", 1, 1);
  type.spec.constraints.denyHosts = {"h1"};
  storeType(type);
  assign();
  const auto pass = daemon_->placementPass();
  daemon_->runPasses(5, pass, 150ms);
  EXPECT_TRUE(queued().empty());
  EXPECT_EQ(namesVersion(), 0) << "the monitor holder, reading the same tree, withdraws it";
  EXPECT_TRUE(daemon_->instances().views().empty());
  EXPECT_TRUE(daemon_->startedPids().empty());
  EXPECT_TRUE(registered().empty());
  EXPECT_TRUE(lockExists());

  // The same host once the constraint allows it, still named.
  type.spec.constraints.denyHosts.clear();
  writeType(*session_, layout(), type);
  ASSERT_TRUE(daemon_->pumpUntil([&] { return placedAndLockGone(); }, 20s, pass));
  EXPECT_LT(daemon_->longestPass(), 1s);
}

TEST_F(PlacerTest, AHostWhoseNameIsWithdrawnWhileItsInstanceStartsDoesNotRegisterIt) {
  storeType(demoType("Demo", 1, 1));
  assign();
  const auto pass = daemon_->placementPass();
  ASSERT_TRUE(daemon_->pumpUntil([&] { return !daemon_->instances().views().empty(); }, 20s, pass));
  ASSERT_TRUE(registered().empty());
  // The monitor holder withdraws h1 (cordoned, say) while the instance starts.
  name({});
  ASSERT_TRUE(daemon_->pumpUntil([&] { return daemon_->instances().views().empty(); }, 20s, pass))
      << "the started instance is stopped";
  EXPECT_TRUE(registered().empty()) << "the registration checked the names it last read";
  EXPECT_EQ(daemon_->startedPids().size(), 1u);
  daemon_->runPasses(3, pass, 150ms);
  EXPECT_TRUE(registered().empty());
  EXPECT_EQ(daemon_->startedPids().size(), 1u) << "not named: nothing started again";
  EXPECT_TRUE(lockExists());
}

TEST_F(PlacerTest, ANamedHostPlacesIntoABoundedNumberAtOnceAndAMonitorHolderIntoTwiceAsMany) {
  constexpr std::int64_t kNamed = 120;
  assignMany(kNamed);
  // One pass queues for 48; a host whose passes read a type whole keeps 96 in flight.
  daemon_->runPasses(1, daemon_->placementPass());
  EXPECT_EQ(inFlight(kNamed), 48u);
  daemon_->runPasses(1, daemon_->placementPass(true));
  EXPECT_EQ(inFlight(kNamed), 96u);
}

}  // namespace
}  // namespace sm::test

// LocalInstances in process against a real ZooKeeper: the test is the reconcile loop, and
// sm-demo-service the managed process (a child of the test, through the supervisor).
#include <signal.h>

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "config/lock_contender_data.hpp"
#include "config/persistent_service_data.hpp"
#include "config/physical_service_data.hpp"
#include "manager/zk/uuid.hpp"
#include "tests/daemon/support/in_process_daemon.hpp"
#include "tests/support/wait_for.hpp"
#include "tests/support/zookeeper_fixture.hpp"

namespace sm::test {
namespace {

using namespace std::chrono_literals;
using Kind = supervisor::InstanceEvent::Kind;
using daemon::LocalInstances;

class LocalInstancesTest : public InProcessDaemonTest {
 protected:
  void SetUp() override {
    InProcessDaemonTest::SetUp();
    daemon_ = &startDaemon("h1");
    workDir_ = workDir("h1");
    writeType(*session_, layout(), demoType("Demo", 1, 1));
    createLogical(*session_, layout(), logical_);
  }

  LocalInstances& instances() { return daemon_->instances(); }

  config::StoredServiceType stored() {
    const auto path = layout().serviceType("Demo");
    return config::decodeServiceType(session_->get(path)->data, path).value();
  }

  // Launches an instance and applies events until its Started was handled.
  config::PhysicalServiceId launchRunning() {
    const config::PhysicalServiceId id{logical_, zk::newUuid()};
    const auto error = instances().launch(id, stored());
    EXPECT_FALSE(error) << *error;
    EXPECT_TRUE(daemon_->handleThrough(processEvent(Kind::Started, id.uuid), 10s))
        << "no Started event for " << id.uuid;
    return id;
  }

  // Our node in the create-lock's queue, as the placer's QueueMember makes it.
  std::string queueNode() {
    return daemon_->session()->create(
        layout().createPhysicalServiceLock(logical_) + "/" +
            std::string(config::Layout::kLockChildPrefix),
        config::encodeLockContenderData({"h1", 0.0}), zk::CreateMode::EphemeralSequential);
  }

  // Launched, registered, and master (its Master event handled).
  config::PhysicalServiceId registeredMaster() {
    const auto id = launchRunning();
    EXPECT_TRUE(instances().registerInstance(id, queueNode()));
    EXPECT_TRUE(daemon_->handleThrough(electionEvent(daemon::ElectionEvent::Kind::Master, id.uuid),
                                       10s))
        << "no Master event for the lone registered instance";
    return id;
  }

  std::optional<config::PhysicalServiceData> physicalData(const config::PhysicalServiceId& id) {
    const auto path = layout().physicalService(id);
    session_->sync(path);
    auto node = session_->get(path);
    if (!node) return std::nullopt;
    return config::decodePhysicalServiceData(node->data, path).value();
  }

  std::vector<config::LockChildName> electionMembers() {
    std::vector<config::LockChildName> members;
    for (const auto& name : childrenOf(*session_, layout().electionDir(logical_))) {
      members.push_back(config::Layout::parseLockChildName(name).value());
    }
    return members;
  }

  services::Role role(const std::string& uuid) {
    auto info = readRole(workDir_, uuid);
    return info ? info->role : services::Role::Unknown;
  }

  std::filesystem::path workDir_;
  InProcessDaemon* daemon_ = nullptr;
  const config::LogicalServiceId logical_{"Demo", 0};
};

TEST_F(LocalInstancesTest, LaunchSpawnsWithoutWaitingAndRunsOnceItsStartIsHandled) {
  const config::PhysicalServiceId id{logical_, zk::newUuid()};
  const auto before = std::chrono::steady_clock::now();
  ASSERT_FALSE(instances().launch(id, stored()));
  EXPECT_LT(std::chrono::steady_clock::now() - before, 1s) << "launch() waited for the process";
  // Nothing handled yet: whatever the process did, the loop has not been told.
  EXPECT_EQ(instances().launchState(id.uuid), LocalInstances::LaunchState::Starting);

  ASSERT_TRUE(daemon_->handleThrough(processEvent(Kind::Started, id.uuid), 10s));
  EXPECT_EQ(instances().launchState(id.uuid), LocalInstances::LaunchState::Running);
  const auto views = instances().views();
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0].phase, daemon::Phase::Starting) << "running, but not registered yet";
  EXPECT_FALSE(views[0].registered);
  ASSERT_FALSE(daemon_->startedPids().empty());
  EXPECT_EQ(views[0].pid, daemon_->startedPids().back());
  EXPECT_TRUE(processAlive(views[0].pid));
  EXPECT_FALSE(physicalData(id)) << "launch() alone registers nothing";
  EXPECT_EQ(instances().launchState("no-such-instance"), LocalInstances::LaunchState::Ended);
}

TEST_F(LocalInstancesTest, RegisterCreatesZnodeAndElectionMemberInOneMultiAndDeletesTheQueueNode) {
  const auto id = launchRunning();
  const auto queued = queueNode();
  const auto lockDir = layout().createPhysicalServiceLock(logical_);
  ASSERT_EQ(childrenOf(*session_, lockDir).size(), 1u);

  ASSERT_TRUE(instances().registerInstance(id, queued));

  const auto physicalPath = layout().physicalService(id);
  session_->sync(physicalPath);
  const auto physical = session_->exists(physicalPath);
  ASSERT_TRUE(physical) << physicalPath;
  EXPECT_EQ(physical->ephemeralOwner, daemon_->session()->id());
  const auto data = physicalData(id).value();
  EXPECT_EQ(data.host, "h1");
  EXPECT_EQ(data.pid, daemon_->startedPids().back());
  ASSERT_TRUE(data.ports.count("http"));
  EXPECT_GT(data.ports.at("http"), 0);

  const auto names = childrenOf(*session_, layout().electionDir(logical_));
  ASSERT_EQ(names.size(), 1u);
  EXPECT_EQ(config::Layout::parseLockChildName(names[0])->uuid, id.uuid);
  const auto member = session_->exists(layout().electionDir(logical_) + "/" + names[0]);
  ASSERT_TRUE(member);
  EXPECT_EQ(member->ephemeralOwner, daemon_->session()->id());

  EXPECT_TRUE(childrenOf(*session_, lockDir).empty()) << "the queue node must go with it";
  // One multi() is one transaction: one zxid for both creates and the queue node's delete.
  EXPECT_EQ(member->czxid, physical->czxid);
  EXPECT_EQ(session_->exists(lockDir)->pzxid, physical->czxid);

  const auto views = instances().views();
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0].phase, daemon::Phase::Running);
  EXPECT_TRUE(views[0].registered);
}

TEST_F(LocalInstancesTest, RegisterWithAQueueNodeThatIsGoneWritesNothingAndStopsTheInstance) {
  const auto id = launchRunning();
  const auto pid = daemon_->startedPids().back();
  const auto queued = queueNode();
  session_->remove(queued);  // the lock passed on: we no longer hold it

  EXPECT_FALSE(instances().registerInstance(id, queued));
  EXPECT_FALSE(physicalData(id));
  EXPECT_TRUE(electionMembers().empty());
  ASSERT_TRUE(daemon_->handleThrough(processEvent(Kind::Stopped, id.uuid), 10s));
  EXPECT_TRUE(waitFor([&] { return !processAlive(pid); }, 2000ms));
  EXPECT_EQ(instances().launchState(id.uuid), LocalInstances::LaunchState::Ended);
}

TEST_F(LocalInstancesTest, LoneRegisteredInstanceBecomesMasterOnceItsElectionEventIsHandled) {
  const auto id = launchRunning();
  ASSERT_TRUE(instances().registerInstance(id, queueNode()));
  EXPECT_NE(role(id.uuid), services::Role::Master) << "master before the election said so";

  ASSERT_TRUE(
      daemon_->handleThrough(electionEvent(daemon::ElectionEvent::Kind::Master, id.uuid), 10s));
  const auto info = readRole(workDir_, id.uuid);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->role, services::Role::Master);
  EXPECT_TRUE(services::isMasterNow(*info)) << "a master needs a live lease";
  const auto members = electionMembers();
  ASSERT_EQ(members.size(), 1u);
  EXPECT_EQ(info->epoch, members[0].sequence) << "the epoch is the member's sequence";
}

TEST_F(LocalInstancesTest, KilledProcessLeavesTheElectionAtOnceAndRejoinsWithANewMemberAfterRestart) {
  const auto id = registeredMaster();
  ASSERT_FALSE(HasFailure());
  const auto before = physicalData(id).value();
  const auto membersBefore = electionMembers();
  ASSERT_EQ(membersBefore.size(), 1u);
  const auto oldPid = static_cast<pid_t>(before.pid);

  ASSERT_EQ(::kill(oldPid, SIGKILL), 0);
  ASSERT_TRUE(daemon_->handleThrough(processEvent(Kind::Exited, id.uuid), 10s));
  EXPECT_TRUE(electionMembers().empty())
      << "the election member must go as soon as the exit is handled";
  // The supervisor writes `unknown` on its own thread right after it told the loop of the exit
  // (the withdrawal above need not wait for that write): the loop may get there first.
  EXPECT_TRUE(waitFor([&] { return role(id.uuid) != services::Role::Master; }, 2000ms, 1ms));

  ASSERT_TRUE(daemon_->handleThrough(processEvent(Kind::RestartScheduled, id.uuid), 10s));
  // The znode says so from the next pass on (planInstances follows the phase): no write on the
  // failover's path.
  daemon_->instancesPass()();
  const auto restarting = physicalData(id);
  ASSERT_TRUE(restarting) << "the znode stays while it restarts in place";
  EXPECT_EQ(restarting->state, config::PhysicalState::Restarting);
  EXPECT_EQ(restarting->pid, 0);
  EXPECT_TRUE(electionMembers().empty());

  ASSERT_TRUE(daemon_->handleThrough(processEvent(Kind::Started, id.uuid), 10s));
  const auto newPid = daemon_->startedPids().back();
  EXPECT_NE(newPid, oldPid);
  const auto after = physicalData(id);
  ASSERT_TRUE(after) << "same uuid, same znode";
  EXPECT_EQ(after->pid, newPid);
  // Its state is left to the next pass (planInstances): rejoin() writes it while the phase is
  // still Restarting.
  EXPECT_EQ(after->ports, before.ports) << "restarted in place: same ports";
  const auto membersAfter = electionMembers();
  ASSERT_EQ(membersAfter.size(), 1u);
  EXPECT_EQ(membersAfter[0].uuid, id.uuid);
  EXPECT_GT(membersAfter[0].sequence, membersBefore[0].sequence) << "a new member, queued last";

  ASSERT_TRUE(
      daemon_->handleThrough(electionEvent(daemon::ElectionEvent::Kind::Master, id.uuid), 10s));
  const auto info = readRole(workDir_, id.uuid);
  ASSERT_TRUE(info);
  EXPECT_TRUE(services::isMasterNow(*info));
  EXPECT_EQ(info->epoch, membersAfter[0].sequence);
}

TEST_F(LocalInstancesTest, StopRemovesBothZnodesBeforeTheProcessEndsAndTellsUnknown) {
  const auto id = registeredMaster();
  ASSERT_FALSE(HasFailure());
  const auto pid = daemon_->startedPids().back();
  ASSERT_EQ(role(id.uuid), services::Role::Master);

  instances().stop(id.uuid, "the test stops it");
  // No event handled since: the znodes went in stop() itself, ahead of the process's end.
  EXPECT_FALSE(physicalData(id));
  EXPECT_TRUE(electionMembers().empty());
  const auto info = readRole(workDir_, id.uuid);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->role, services::Role::Unknown);

  ASSERT_TRUE(daemon_->handleThrough(processEvent(Kind::Stopped, id.uuid), 10s));
  EXPECT_TRUE(waitFor([&] { return !processAlive(pid); }, 2000ms));
  EXPECT_TRUE(instances().views().empty());
  EXPECT_EQ(instances().launchState(id.uuid), LocalInstances::LaunchState::Ended);
}

TEST_F(LocalInstancesTest, OrphanAllTurnsARunningInstanceIntoASurvivorWithRoleUnknown) {
  const auto id = registeredMaster();
  ASSERT_FALSE(HasFailure());
  const auto pid = daemon_->startedPids().back();
  EXPECT_FALSE(instances().survivorOf(logical_)) << "registered: not a survivor";

  ASSERT_TRUE(expireSession(hosts(), *daemon_->session()));
  ASSERT_TRUE(
      daemon_->handleThrough(connectionEvent(daemon::ConnectionEvent::Kind::Expired), 10s));
  ASSERT_TRUE(daemon_->sessionLost());
  instances().orphanAll();

  const auto survivor = instances().survivorOf(logical_);
  ASSERT_TRUE(survivor);
  EXPECT_EQ(*survivor, id);
  EXPECT_EQ(role(id.uuid), services::Role::Unknown);
  EXPECT_TRUE(processAlive(pid)) << "a survivor keeps running";
  EXPECT_EQ(instances().launchState(id.uuid), LocalInstances::LaunchState::Running)
      << "the placer may register it again at once";
  const auto views = instances().views();
  ASSERT_EQ(views.size(), 1u);
  EXPECT_EQ(views[0].phase, daemon::Phase::Survivor);
  EXPECT_FALSE(views[0].registered);
  EXPECT_FALSE(physicalData(id)) << "its znode went with the session";
}

// A persistent type's instances: registered with their identity, started again under it.
class PersistentLocalInstancesTest : public LocalInstancesTest {
 protected:
  void SetUp() override {
    LocalInstancesTest::SetUp();
    auto type = demoType("Demo", 1, 1);
    type.spec.persistent = true;
    writeType(*session_, layout(), type);
  }

  std::optional<std::pair<config::PersistentServiceData, std::int32_t>> identity(
      const std::string& uuid) {
    const auto path = layout().persistentService("Demo", uuid);
    session_->sync(path);
    auto node = session_->get(path);
    if (!node) return std::nullopt;
    return std::make_pair(config::decodePersistentServiceData(node->data, path).value(),
                          node->stat.version);
  }

  std::size_t startsRecorded(const std::string& uuid) {
    std::ifstream in(workDir_ / "data" / "Demo" / uuid / "starts");
    std::size_t lines = 0;
    for (std::string line; std::getline(in, line);) ++lines;
    return lines;
  }

  // Stops it and applies events until its process is gone.
  void stopAndWait(const std::string& uuid) {
    instances().stop(uuid, "the test stops it");
    ASSERT_TRUE(daemon_->handleThrough(processEvent(Kind::Stopped, uuid), 10s));
  }
};

TEST_F(PersistentLocalInstancesTest, ItsFirstRegistrationCreatesItsIdentityWithItsDataDirectory) {
  const auto id = launchRunning();
  ASSERT_TRUE(instances().registerInstance(id, queueNode()));
  const auto record = identity(id.uuid);
  ASSERT_TRUE(record);
  EXPECT_EQ(record->first.host, "h1");
  EXPECT_EQ(record->first.logical, 0);
  EXPECT_EQ(record->first.state, config::PersistentState::Running);
  EXPECT_EQ(record->first.dataDir, (workDir_ / "data" / "Demo" / id.uuid).string());
  EXPECT_GT(record->first.created, 0);
  EXPECT_TRUE(waitFor([&] { return startsRecorded(id.uuid) == 1; }, 5s, 10ms))
      << "the process writes into SM_DATA_DIR";
}

TEST_F(PersistentLocalInstancesTest, AnIdentityThatRunsNowhereStartsAgainUnderItsRecordsVersion) {
  const auto id = launchRunning();
  ASSERT_TRUE(instances().registerInstance(id, queueNode()));
  const auto before = identity(id.uuid);
  ASSERT_TRUE(before);
  stopAndWait(id.uuid);
  ASSERT_FALSE(physicalData(id)) << "stopped: unregistered";

  // The pass starts it again, without the create-lock, and registers it once its process runs.
  ASSERT_TRUE(daemon_->pumpUntil([&] { return physicalData(id).has_value(); }, 10s,
                                 daemon_->identitiesPass()));
  const auto after = identity(id.uuid);
  ASSERT_TRUE(after);
  EXPECT_GT(after->second, before->second) << "set with the version it read";
  EXPECT_EQ(after->first.created, before->first.created);
  EXPECT_GE(after->first.lastStarted, before->first.lastStarted);
  EXPECT_EQ(electionMembers().size(), 1u);
  EXPECT_TRUE(waitFor([&] { return startsRecorded(id.uuid) == 2; }, 5s, 10ms));
}

TEST_F(PersistentLocalInstancesTest, AnAbandonedIdentityIsNeverStartedAgain) {
  const auto id = launchRunning();
  ASSERT_TRUE(instances().registerInstance(id, queueNode()));
  stopAndWait(id.uuid);
  auto record = identity(id.uuid);
  ASSERT_TRUE(record);
  record->first.state = config::PersistentState::Abandoned;
  session_->set(layout().persistentService("Demo", id.uuid),
                config::encodePersistentServiceData(record->first), record->second);

  daemon_->runPasses(5, daemon_->identitiesPass(), 100ms);
  EXPECT_FALSE(physicalData(id));
  EXPECT_EQ(startsRecorded(id.uuid), 1u);
  EXPECT_EQ(identity(id.uuid)->first.state, config::PersistentState::Abandoned);
}

TEST_F(PersistentLocalInstancesTest, ForgottenWithPurgeDataItsDataDirectoryGoesThenItsRecord) {
  const auto id = launchRunning();
  ASSERT_TRUE(instances().registerInstance(id, queueNode()));
  stopAndWait(id.uuid);
  const auto dataDir = workDir_ / "data" / "Demo" / id.uuid;
  ASSERT_TRUE(std::filesystem::exists(dataDir / "starts"));
  // A second identity whose record names a directory this daemon did not make for it.
  const auto foreignDir = workDir_ / "not-its-data";
  std::filesystem::create_directories(foreignDir);
  auto foreign = identity(id.uuid)->first;
  foreign.dataDir = foreignDir.string();
  foreign.state = config::PersistentState::Purging;
  const auto other = zk::newUuid();
  session_->create(layout().persistentService("Demo", other),
                   config::encodePersistentServiceData(foreign));

  auto record = identity(id.uuid);
  record->first.state = config::PersistentState::Purging;  // as servicesctl forget --purge-data
  session_->set(layout().persistentService("Demo", id.uuid),
                config::encodePersistentServiceData(record->first), record->second);

  ASSERT_TRUE(daemon_->pumpUntil([&] { return !identity(id.uuid) && !identity(other); }, 10s,
                                 daemon_->identitiesPass()));
  EXPECT_FALSE(std::filesystem::exists(dataDir));
  EXPECT_TRUE(std::filesystem::exists(foreignDir)) << "only the directory it made for an identity";
  EXPECT_FALSE(physicalData(id)) << "a purged identity is not started again";
}

}  // namespace
}  // namespace sm::test

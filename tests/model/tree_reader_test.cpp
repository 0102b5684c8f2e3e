// The one reader of the tree against a real server: what each scope reads, what it leaves out,
// and that bad data is kept with its error beside the node instead of hiding the rest.
#include "manager/model/tree_reader.hpp"

#include <gtest/gtest.h>

#include "config/assignment_data.hpp"
#include "config/cordon_data.hpp"
#include "config/event_data.hpp"
#include "config/host_data.hpp"
#include "config/logical_service_data.hpp"
#include "config/pause_data.hpp"
#include "config/physical_service_data.hpp"
#include "config/resource_lock_data.hpp"
#include "config/service_type_codec.hpp"
#include "manager/zk/path.hpp"
#include "manager/zk/session_reader.hpp"
#include "manager/zk/tree_cache.hpp"
#include "tests/support/zookeeper_fixture.hpp"

namespace sm::model {
namespace {

class TreeReaderTest : public test::ZooKeeperTest {
 protected:
  void SetUp() override {
    ZooKeeperTest::SetUp();
    layout_ = config::Layout(root() + "/fed");
  }

  void put(const std::string& path, const std::string& data,
           zk::CreateMode mode = zk::CreateMode::Persistent) {
    session_->ensurePath(zk::parentPath(path));
    session_->create(path, data, mode);
  }

  // A type "db" with one logical service: two registered instances (u1 master, u2 next), a host,
  // a status, and a type "web" beside it.
  void writeCluster() {
    config::ServiceType db;
    db.name = "db";
    db.spec.command = {"/bin/true"};
    put(layout_.serviceType("db"), config::encodeServiceType(db, 1));
    auto web = db;
    web.name = "web";
    put(layout_.serviceType("web"), config::encodeServiceType(web, 1));
    put(layout_.logicalService(kDb0), config::encodeLogicalServiceData({kLogicalUuid, 0}));
    for (const std::string uuid : {kU1, kU2}) {
      config::PhysicalServiceData data;
      data.host = hostOf(uuid);
      put(layout_.physicalService({kDb0, uuid}), config::encodePhysicalServiceData(data),
          zk::CreateMode::Ephemeral);
      put(layout_.electionMemberPrefix({kDb0, uuid}),
          config::encodeElectionData({uuid, data.host}), zk::CreateMode::EphemeralSequential);
    }
    config::HostData host;
    host.address = "127.0.0.1";
    put(layout_.host("h-u1"), config::encodeHostData(host), zk::CreateMode::Ephemeral);
  }

  std::vector<std::pair<std::string, std::string>> problems_;
  ReadProblem report_ = [this](const std::string& path, const std::string& error) {
    problems_.emplace_back(path, error);
  };
  config::Layout layout_{"/unset"};
  const config::LogicalServiceId kDb0{"db", 0};
  static constexpr const char* kU1 = "11111111-1111-4111-8111-111111111111";
  static constexpr const char* kU2 = "22222222-2222-4222-8222-222222222222";
  static constexpr const char* kLogicalUuid = "44444444-4444-4444-8444-444444444444";
  static constexpr const char* kU3 = "33333333-3333-4333-8333-333333333333";
  static std::string hostOf(const std::string& uuid) { return uuid == kU1 ? "h-u1" : "h-u2"; }
};

TEST_F(TreeReaderTest, TheDaemonsScopeDerivesTheChainFromMemberNamesAndReadsNoMemberNode) {
  writeCluster();
  zk::TreeCache cache(session_, [] {});
  const auto snapshot = readSnapshot(cache, layout_);
  const auto* logical = snapshot.logical(kDb0);
  ASSERT_NE(logical, nullptr);
  ASSERT_EQ(logical->election.size(), 2u);
  EXPECT_EQ(logical->masterUuid(), kU1);
  EXPECT_EQ(logical->election[1].data->host, "h-u2");  // from the registration, not the member
  EXPECT_EQ(logical->election[0].ephemeralOwner, 0);   // the member's node was not read
  EXPECT_FALSE(logical->data);                          // nor the logical service's
  EXPECT_EQ(logical->physical.at(kU2).ephemeralOwner, session_->id());
  EXPECT_EQ(snapshot.hosts.at("h-u1").data->address, "127.0.0.1");
  EXPECT_TRUE(problems_.empty());
}

TEST_F(TreeReaderTest, AnObserverReadsMembersWithTheirOwnerAndTheLogicalServicesData) {
  writeCluster();
  zk::SessionReader reader(*session_);
  ReadScope scope;
  scope.observer = true;
  const auto snapshot = readSnapshot(reader, layout_, scope, report_);
  const auto* logical = snapshot.logical(kDb0);
  ASSERT_NE(logical, nullptr);
  EXPECT_TRUE(snapshot.rootExists);
  EXPECT_EQ(logical->data->uuid, kLogicalUuid);
  ASSERT_EQ(logical->election.size(), 2u);
  EXPECT_EQ(logical->election[0].ephemeralOwner, session_->id());
  EXPECT_EQ(logical->roleOf(kU1), Role::Master);
  EXPECT_EQ(logical->roleOf(kU2), Role::Secondary);
  EXPECT_EQ(logical->master()->uuid, kU1);
  EXPECT_EQ(snapshot.masterCount("db"), 1u);
  EXPECT_EQ(snapshot.instanceCount("db"), 2u);
}

TEST_F(TreeReaderTest, AnObserverSeesThatTheRootIsMissing) {
  zk::SessionReader reader(*session_);
  ReadScope scope;
  scope.observer = true;
  EXPECT_FALSE(readSnapshot(reader, config::Layout(root() + "/none"), scope).rootExists);
}

TEST_F(TreeReaderTest, ATypeScopeReadsThatTypeAndItsMarksOnly) {
  writeCluster();
  put(layout_.paused("db"), config::encodePauseData({1, "db"}));
  put(layout_.paused("web"), config::encodePauseData({1, "web"}));
  zk::SessionReader reader(*session_);
  ReadScope scope;
  scope.type = "web";
  scope.hosts = false;
  const auto snapshot = readSnapshot(reader, layout_, scope, report_);
  EXPECT_EQ(snapshot.types.size(), 1u);
  EXPECT_TRUE(snapshot.type("web"));
  EXPECT_TRUE(snapshot.isPaused("web"));
  EXPECT_FALSE(snapshot.isPaused("db"));
  EXPECT_TRUE(snapshot.hosts.empty());
}

TEST_F(TreeReaderTest, BadDataIsKeptWithItsErrorBesideTheNodeAndReported) {
  writeCluster();
  put(layout_.physicalService({kDb0, kU3}), "{not json");
  put(zk::childPath(layout_.configDir(), "Bad Name!"), "");
  put(layout_.cordon("h-u1"), "garbage");
  zk::SessionReader reader(*session_);
  const auto snapshot = readSnapshot(reader, layout_, {}, report_);
  const auto& broken = snapshot.logical(kDb0)->physical.at(kU3);
  EXPECT_FALSE(broken.data);
  EXPECT_NE(broken.error.find(layout_.physicalService({kDb0, kU3})), std::string::npos)
      << broken.error;
  const auto* garbage = snapshot.type("Bad Name!");
  ASSERT_NE(garbage, nullptr);
  EXPECT_NE(garbage->error.find("not a service type name"), std::string::npos);
  ASSERT_TRUE(snapshot.cordonOf("h-u1"));  // an unreadable cordon still cordons
  EXPECT_FALSE(snapshot.cordonOf("h-u1")->data);
  EXPECT_EQ(problems_.size(), 3u);
  EXPECT_EQ(snapshot.logical(kDb0)->physical.size(), 3u);  // the others are all there
}

TEST_F(TreeReaderTest, EventsAreTheNewestOnesOldestFirst) {
  for (int i = 0; i < 5; ++i) {
    config::EventData event;
    event.kind = "k" + std::to_string(i);
    put(layout_.eventPrefix(), config::encodeEventData(event), zk::CreateMode::PersistentSequential);
  }
  zk::SessionReader reader(*session_);
  ReadScope scope;
  scope.events = EventQuery{std::nullopt, -1, 2};
  const auto snapshot = readSnapshot(reader, layout_, scope);
  ASSERT_EQ(snapshot.events.size(), 2u);
  EXPECT_LT(snapshot.events[0].sequence, snapshot.events[1].sequence);
  ASSERT_TRUE(snapshot.events[1].data);
  EXPECT_EQ(snapshot.events[1].data->kind, "k4");
  EXPECT_EQ(snapshot.newestEvent, snapshot.events[1].sequence);
  EXPECT_TRUE(readSnapshot(reader, layout_, ReadScope{}).events.empty());  // none unless asked
}

TEST_F(TreeReaderTest, EventsOfOneTypeAfterASequenceWithTheUndecodableOnesKeptWithTheirError) {
  auto event = [](const std::string& type, const std::string& kind) {
    config::EventData data;
    data.type = type;
    data.kind = kind;
    return config::encodeEventData(data);
  };
  put(layout_.eventPrefix(), event("db", "old"), zk::CreateMode::PersistentSequential);
  put(layout_.eventPrefix(), event("web", "w1"), zk::CreateMode::PersistentSequential);
  put(layout_.eventPrefix(), "{not json", zk::CreateMode::PersistentSequential);
  put(layout_.eventPrefix(), event("db", "d1"), zk::CreateMode::PersistentSequential);
  put(layout_.eventPrefix(), event("db", "d2"), zk::CreateMode::PersistentSequential);
  put(layout_.eventPrefix(), event("web", "w2"), zk::CreateMode::PersistentSequential);
  zk::SessionReader reader(*session_);

  ReadScope all;
  all.events = EventQuery{};
  const auto every = readSnapshot(reader, layout_, all);
  ASSERT_EQ(every.events.size(), 6u);
  EXPECT_FALSE(every.events[2].data);
  EXPECT_FALSE(every.events[2].error.empty());
  const auto firstSequence = every.events[0].sequence;

  // The newest two of db after the first: the listing's newest is web's w2, the next `after`.
  ReadScope db;
  db.events = EventQuery{"db", firstSequence, 2};
  const auto dbs = readSnapshot(reader, layout_, db);
  ASSERT_EQ(dbs.events.size(), 2u);
  EXPECT_EQ(dbs.events[0].data->kind, "d1");
  EXPECT_EQ(dbs.events[1].data->kind, "d2");
  EXPECT_EQ(dbs.newestEvent, every.events[5].sequence);

  ReadScope later;
  later.events = EventQuery{std::nullopt, every.newestEvent, 0};
  const auto none = readSnapshot(reader, layout_, later);
  EXPECT_TRUE(none.events.empty());
  EXPECT_EQ(none.newestEvent, every.newestEvent);  // the `after` asked for
}

TEST_F(TreeReaderTest, EventsWrittenTogetherInOneNodeAreReadOneByOneInTheirOrder) {
  auto event = [](const std::string& type, const std::string& kind) {
    config::EventData data;
    data.type = type;
    data.kind = kind;
    return data;
  };
  put(layout_.eventPrefix(), config::encodeEventData(event("db", "a")),
      zk::CreateMode::PersistentSequential);
  put(layout_.eventPrefix(),
      config::encodeEvents({event("db", "b"), event("web", "w"), event("db", "c")}),
      zk::CreateMode::PersistentSequential);
  put(layout_.eventPrefix(), config::encodeEventData(event("web", "x")),
      zk::CreateMode::PersistentSequential);
  zk::SessionReader reader(*session_);
  auto kinds = [&](EventQuery query) {
    ReadScope scope;
    scope.events = query;
    std::vector<std::string> out;
    for (const auto& e : readSnapshot(reader, layout_, scope).events) {
      out.push_back(e.data ? e.data->kind + "@" + std::to_string(e.index) : "?");
    }
    return out;
  };
  // The limit counts events, not nodes.
  EXPECT_EQ(kinds(EventQuery{std::nullopt, -1, 3}),
            (std::vector<std::string>{"w@1", "c@2", "x@0"}));
  EXPECT_EQ(kinds(EventQuery{"db", -1, 0}), (std::vector<std::string>{"a@0", "b@0", "c@2"}));
}

TEST_F(TreeReaderTest, ResourceLocksAreReadWithTheirQueueInOrderAndNothingElse) {
  writeCluster();
  config::ResourceLockData data;
  data.type = "db";
  data.uuid = kU1;
  data.host = "h-u1";
  data.pid = 42;
  const auto dir = layout_.resourceLock("nightly");
  for (const std::string uuid : {kU1, kU2}) {
    data.uuid = uuid;
    put(dir + "/lock-" + uuid + "-", config::encodeResourceLockData(data),
        zk::CreateMode::EphemeralSequential);
  }
  put(layout_.resourceLock("other") + "/lock-" + std::string(kU3) + "-", "garbage",
      zk::CreateMode::EphemeralSequential);
  zk::SessionReader reader(*session_);
  ReadScope scope;
  scope.types = false;
  scope.hosts = false;
  scope.observer = true;
  scope.resourceLocks = true;
  const auto snapshot = readSnapshot(reader, layout_, scope, report_);
  EXPECT_TRUE(snapshot.types.empty());
  ASSERT_EQ(snapshot.resourceLocks.size(), 2u);
  const auto& nightly = snapshot.resourceLocks[0];
  EXPECT_EQ(nightly.name, "nightly");
  ASSERT_NE(nightly.holder(), nullptr);
  EXPECT_EQ(nightly.holder()->data->uuid, kU1);
  EXPECT_EQ(nightly.waiters(), 1u);
  EXPECT_LT(nightly.contenders[0].sequence, nightly.contenders[1].sequence);
  EXPECT_FALSE(snapshot.resourceLocks[1].contenders.at(0).data);  // kept with its error
  EXPECT_FALSE(snapshot.resourceLocks[1].contenders.at(0).error.empty());
  scope.resourceLock = "other";
  EXPECT_EQ(readSnapshot(reader, layout_, scope).resourceLocks.size(), 1u);
}

}  // namespace
}  // namespace sm::model

namespace sm::model {
namespace {

class FocusedReadTest : public TreeReaderTest {
 protected:
  // db has logical services 0, 1 and 2 (only 0 has instances); a host h-u2 beside h-u1.
  void writeWiderCluster() {
    writeCluster();
    for (std::int64_t sequence : {1, 2}) {
      const config::LogicalServiceId id{"db", sequence};
      put(layout_.logicalService(id), config::encodeLogicalServiceData({kLogicalUuid, 0}));
      session_->ensurePath(layout_.physicalServicesDir(id));
      session_->ensurePath(layout_.electionDir(id));
    }
    config::HostData other;
    other.address = "127.0.0.2";
    put(layout_.host("h-u2"), config::encodeHostData(other), zk::CreateMode::Ephemeral);
  }

  // `host`'s node of `type` in its inbox, naming it for these logical services.
  void name(const std::string& host, const std::string& type,
            std::map<std::int64_t, config::AssignmentData> named) {
    session_->ensurePath(layout_.hostAssignments(host));
    put(layout_.assignments(host, type), config::encodeAssignmentsData({std::move(named)}),
        zk::CreateMode::Ephemeral);
  }

  // Read as h-u1's daemon reads, its instances in db/0, once it is named for db/2.
  ClusterSnapshot readAsNamedForDb2() {
    name("h-u1", "db", {{2, {1, 0, 0}}});
    ReadScope scope;
    scope.focus = Focus{"h-u1", {}, {kDb0}};
    zk::TreeCache cache(session_, [] {});
    return readSnapshot(cache, layout_, scope, report_);
  }
};

TEST_F(FocusedReadTest, OnlyItsLogicalServicesItsInboxAndItsOwnHostNode) {
  writeWiderCluster();
  const auto snapshot = readAsNamedForDb2();
  const auto& db = snapshot.types.at("db");
  // db wants one logical service (serviceCount 1): db/2 may be surplus, so the listing decides.
  EXPECT_TRUE(db.listed);
  EXPECT_EQ(db.sequences, (std::vector<std::int64_t>{0, 1, 2})) << "the whole listing";
  ASSERT_EQ(db.logical.size(), 2u) << "its instances' and its assignment's, not db/1";
  EXPECT_TRUE(db.logical.contains(0));
  EXPECT_TRUE(db.logical.contains(2));
  EXPECT_TRUE(snapshot.types.at("web").logical.empty());
  ASSERT_NE(snapshot.assignmentOf({"db", 2}, "h-u1"), nullptr);
  EXPECT_EQ(snapshot.assignmentOf({"db", 2}, "h-u1")->data.assigned, 1);
  // Every host is listed; only its own node is read.
  ASSERT_EQ(snapshot.hosts.size(), 2u);
  EXPECT_TRUE(snapshot.hosts.at("h-u1").data.has_value());
  EXPECT_FALSE(snapshot.hosts.at("h-u2").data.has_value());
  EXPECT_TRUE(snapshot.createLocks.empty()) << "create-locks are the monitor holder's";
  EXPECT_TRUE(problems_.empty());
}

TEST_F(FocusedReadTest, NoListingWhenEachOfItsLogicalServicesIsWantedWhateverItSays) {
  writeWiderCluster();
  // db wants 5 (serviceCount): db/0 and db/2 rank below 5 whatever else exists.
  config::ServiceType db;
  db.name = "db";
  db.spec.command = {"/bin/true"};
  db.spec.serviceCount = 5;
  session_->set(layout_.serviceType("db"), config::encodeServiceType(db, 2));
  const auto snapshot = readAsNamedForDb2();
  const auto& read = snapshot.types.at("db");
  EXPECT_FALSE(read.listed);
  EXPECT_TRUE(read.sequences.empty());
  ASSERT_EQ(read.logical.size(), 2u);
  EXPECT_TRUE(read.logical.contains(0));
  EXPECT_TRUE(read.logical.contains(2));
  EXPECT_FALSE(snapshot.types.at("web").listed) << "nothing of web in its focus";
}

TEST_F(FocusedReadTest, ItsOwnHostAsItLastWroteItIsNotReadBack) {
  writeWiderCluster();
  ReadScope scope;
  scope.focus = Focus{"h-u1", {}, {kDb0}};
  config::HostData written;
  written.address = "127.0.0.9";
  written.running = 7;
  scope.focus->ownHost = written;
  zk::TreeCache cache(session_, [] {});
  const auto snapshot = readSnapshot(cache, layout_, scope, report_);
  ASSERT_TRUE(snapshot.hosts.at("h-u1").data.has_value());
  EXPECT_EQ(*snapshot.hosts.at("h-u1").data, written) << "the focus's, not the node's";
  EXPECT_FALSE(snapshot.hosts.at("h-u2").data.has_value());
  // The monitor holder of a type reads every host, its own included.
  scope.focus->wholeTypes = {"db"};
  zk::TreeCache holder(session_, [] {});
  const auto whole = readSnapshot(holder, layout_, scope, report_);
  EXPECT_NE(*whole.hosts.at("h-u1").data, written);
}

TEST_F(FocusedReadTest, AWholeTypeReadsEverythingOfItAndEveryInboxsNodeOfIt) {
  writeWiderCluster();
  name("h-u2", "db", {{1, {1, 0, 0}}});
  name("h-u2", "web", {{0, {1, 0, 0}}});
  name("h-u1", "db", {{2, {1, 3000, 1}}});
  ReadScope scope;
  scope.focus = Focus{"h-u1", {"db"}, {}};
  zk::TreeCache cache(session_, [] {});
  const auto snapshot = readSnapshot(cache, layout_, scope, report_);
  EXPECT_EQ(snapshot.types.at("db").logical.size(), 3u);
  EXPECT_TRUE(snapshot.hosts.at("h-u2").data.has_value());
  const auto* other = snapshot.assignmentOf({"db", 1}, "h-u2");
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->data.assigned, 1);
  ASSERT_NE(snapshot.assignmentsNodeOf("h-u2", "db"), nullptr);
  const auto* own = snapshot.assignmentOf({"db", 2}, "h-u1");
  ASSERT_NE(own, nullptr);
  EXPECT_EQ(own->data, (config::AssignmentData{1, 3000, 1}));
  EXPECT_EQ(snapshot.assignmentOf({"web", 0}, "h-u2"), nullptr) << "not a type it monitors";
  EXPECT_EQ(snapshot.assignmentsNodeOf("h-u2", "web"), nullptr);
  // An observer reads every node.
  zk::SessionReader reader(*session_);
  ReadScope observer;
  observer.observer = true;
  const auto all = readSnapshot(reader, layout_, observer, report_);
  ASSERT_NE(all.assignmentOf({"web", 0}, "h-u2"), nullptr);
  EXPECT_TRUE(problems_.empty());
}

TEST_F(FocusedReadTest, AnUnreadableNodeOfAssignmentsNamesNobodyAndIsReported) {
  writeWiderCluster();
  name("h-u2", "db", {{1, {1, 0, 0}}});
  session_->set(layout_.assignments("h-u2", "db"),
                R"({"format":1,"named":[{"logicalService":1,"assigned":-4,"delayMs":0}]})");
  ReadScope scope;
  scope.focus = Focus{"h-u1", {"db"}, {}};
  zk::TreeCache cache(session_, [] {});
  const auto snapshot = readSnapshot(cache, layout_, scope, report_);
  EXPECT_EQ(snapshot.assignmentOf({"db", 1}, "h-u2"), nullptr);
  const auto* node = snapshot.assignmentsNodeOf("h-u2", "db");
  ASSERT_NE(node, nullptr);
  EXPECT_NE(node->error.find("named[0].assigned"), std::string::npos) << node->error;
  EXPECT_EQ(node->version, 1);
  ASSERT_EQ(problems_.size(), 1u);
  EXPECT_EQ(problems_[0].first, layout_.assignments("h-u2", "db"));
}

TEST_F(FocusedReadTest, AMemoDecodesAnUnchangedNodeOnce) {
  writeCluster();
  DecodeMemo memo;
  zk::TreeCache cache(session_, [] {});
  readSnapshot(cache, layout_, {}, report_, &memo);
  const auto kept = memo.size();
  EXPECT_GT(kept, 0u);
  // The same node changed: decoded again, the new data read.
  config::PhysicalServiceData data;
  data.host = "h-u1";
  data.pid = 42;
  session_->set(layout_.physicalService({kDb0, kU1}), config::encodePhysicalServiceData(data));
  zk::TreeCache fresh(session_, [] {});
  const auto snapshot = readSnapshot(fresh, layout_, {}, report_, &memo);
  EXPECT_EQ(snapshot.logical(kDb0)->physical.at(kU1).data->pid, 42);
  EXPECT_EQ(memo.size(), kept) << "what a read no longer uses is forgotten, nothing piles up";
}

}  // namespace
}  // namespace sm::model

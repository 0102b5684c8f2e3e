// The layout: every path docs/tree.md gives a Layout function, and the parsers back from names
// and paths.

#include <gtest/gtest.h>

#include <stdexcept>

#include "config/layout.hpp"

namespace sm::config {
namespace {

const std::string kUuid = "0f8fad5b-d9cb-469f-a165-70867728950e";

TEST(Layout, BuildsEveryPathOfTheContract) {
  const Layout l("/fed");
  const LogicalServiceId ls{"DataServer", 3};
  EXPECT_EQ(l.root(), "/fed");
  EXPECT_EQ(l.configDir(), "/fed/config");
  EXPECT_EQ(l.serviceType("DataServer"), "/fed/config/DataServer");
  EXPECT_EQ(l.logicalServicePrefix("DataServer"), "/fed/config/DataServer/logicalService");
  EXPECT_EQ(l.logicalService(ls), "/fed/config/DataServer/logicalService0000000003");
  EXPECT_EQ(l.physicalServicesDir(ls),
            "/fed/config/DataServer/logicalService0000000003/physicalServices");
  EXPECT_EQ(
      l.physicalService({ls, kUuid}),
      "/fed/config/DataServer/logicalService0000000003/physicalServices/physicalService" + kUuid);
  EXPECT_EQ(l.electionDir(ls), "/fed/config/DataServer/logicalService0000000003/election");
  EXPECT_EQ(l.electionMember(ls, "lock-" + kUuid + "-0000000007"),
            "/fed/config/DataServer/logicalService0000000003/election/lock-" + kUuid +
                "-0000000007");
  EXPECT_EQ(l.status(ls), "/fed/config/DataServer/logicalService0000000003/status");
  EXPECT_EQ(l.locksDir(), "/fed/locks");
  EXPECT_EQ(l.serviceConfigMonitorLocksDir(), "/fed/locks/serviceConfigMonitor");
  EXPECT_EQ(l.serviceConfigMonitorLock("DataServer"), "/fed/locks/serviceConfigMonitor/DataServer");
  EXPECT_EQ(l.eventsRetentionLock(), "/fed/locks/eventsRetention");
  EXPECT_EQ(l.resourceLocksDir(), "/fed/locks/resources");
  EXPECT_EQ(l.resourceLock("nightly-job"), "/fed/locks/resources/nightly-job");
  EXPECT_THROW(l.resourceLock("../config"), std::invalid_argument);
  EXPECT_THROW(l.resourceLock(""), std::invalid_argument);
  EXPECT_EQ(Layout::parseResourceLockName("nightly-job"), "nightly-job");
  EXPECT_FALSE(Layout::parseResourceLockName("a b"));
  EXPECT_EQ(l.createPhysicalServiceLocksDir(), "/fed/locks/createPhysicalService");
  EXPECT_EQ(l.createPhysicalServiceLock(ls),
            "/fed/locks/createPhysicalService/DataServer_logicalService0000000003");
  EXPECT_EQ(l.hostsDir(), "/fed/hosts");
  EXPECT_EQ(l.host("h1"), "/fed/hosts/h1");
  EXPECT_EQ(l.eventsDir(), "/fed/events");
  EXPECT_EQ(l.eventPrefix(), "/fed/events/event-");
  EXPECT_EQ(l.assignmentsDir(), "/fed/assignments");
  EXPECT_EQ(l.hostAssignments("h1"), "/fed/assignments/h1");
  EXPECT_EQ(l.assignments("h1", "DataServer"), "/fed/assignments/h1/DataServer");
  EXPECT_THROW(l.assignments("h1", "../x"), std::invalid_argument);
  EXPECT_EQ(l.cordonsDir(), "/fed/cordons");
  EXPECT_EQ(l.cordon("ds1"), "/fed/cordons/ds1");
  EXPECT_THROW(l.cordon("../x"), std::invalid_argument);
  EXPECT_EQ(l.servicesDir(), "/fed/services");
  EXPECT_EQ(l.persistentServicesDir("DataServer"), "/fed/services/DataServer");
  EXPECT_EQ(l.persistentService("DataServer", "3f2504e0-4f89-41d3-9a0c-0305e82c3301"),
            "/fed/services/DataServer/3f2504e0-4f89-41d3-9a0c-0305e82c3301");
  EXPECT_THROW(l.persistentService("DataServer", "../x"), std::invalid_argument);
  EXPECT_EQ(Layout::parsePersistentServiceName("3f2504e0-4f89-41d3-9a0c-0305e82c3301"),
            "3f2504e0-4f89-41d3-9a0c-0305e82c3301");
  EXPECT_FALSE(Layout::parsePersistentServiceName("physicalService3f2504e0"));
  EXPECT_EQ(Layout::kLockChildPrefix, "lock-");
}

TEST(Layout, KeyZnodesInCreationOrder) {
  const Layout l("/a/b");
  EXPECT_EQ(l.keyZnodes(),
            (std::vector<std::string>{
                "/a/b", "/a/b/config", "/a/b/locks", "/a/b/locks/serviceConfigMonitor",
                "/a/b/locks/createPhysicalService", "/a/b/hosts", "/a/b/events",
                "/a/b/services"}));
  EXPECT_EQ(l.rootAncestors(), (std::vector<std::string>{"/a"}));
  EXPECT_TRUE(Layout("/x").rootAncestors().empty());
  EXPECT_EQ(Layout("/x/y/z").rootAncestors(), (std::vector<std::string>{"/x", "/x/y"}));
}

TEST(Layout, ZrootValidation) {
  EXPECT_FALSE(checkZroot("/servicesmgr"));
  EXPECT_FALSE(checkZroot("/a/b-c/d.e"));
  EXPECT_EQ(checkZroot(""), "must not be empty");
  EXPECT_EQ(checkZroot("fed"), "must be absolute (start with '/')");
  EXPECT_EQ(checkZroot("/fed/"), "must not end with '/'");
  EXPECT_EQ(checkZroot("/a//b"), "must not contain an empty component (\"//\")");
  EXPECT_EQ(checkZroot("/a/../b"), "must not contain \".\" or \"..\" components");
  EXPECT_EQ(checkZroot("/a/."), "must not contain \".\" or \"..\" components");
  EXPECT_TRUE(checkZroot("/"));
  EXPECT_TRUE(checkZroot("/zookeeper"));
  EXPECT_TRUE(checkZroot("/zookeeper/quota"));
  EXPECT_FALSE(checkZroot("/zookeeperish"));
  EXPECT_EQ(checkZroot(std::string("/a\x01", 3)), "contains a character ZooKeeper does not allow");
  EXPECT_EQ(checkZroot(std::string("/a\0b", 4)), "contains a character ZooKeeper does not allow");
  EXPECT_EQ(checkZroot("/a\xff"), "must be valid UTF-8");
  EXPECT_EQ(checkZroot("/a\xef\xbf\xbf"),
            "contains a character ZooKeeper does not allow");  // U+FFFF
  EXPECT_FALSE(checkZroot("/caf\xc3\xa9"));                    // é is fine
  EXPECT_TRUE(checkZroot("/" + std::string(600, 'a')));
  EXPECT_THROW(Layout("/fed/"), std::invalid_argument);
  EXPECT_FALSE(checkZnodePath("/"));
}

TEST(Layout, BuildersRefuseComponentsThatWouldEscape) {
  const Layout l("/fed");
  EXPECT_THROW(l.serviceType("../x"), std::invalid_argument);
  EXPECT_THROW(l.serviceType(".."), std::invalid_argument);
  EXPECT_THROW(l.serviceType(""), std::invalid_argument);
  EXPECT_THROW(l.host("a/b"), std::invalid_argument);
  EXPECT_THROW(l.physicalService({{"A", 1}, "not-a-uuid"}), std::invalid_argument);
  EXPECT_THROW(l.logicalService({"A", -1}), std::invalid_argument);
  EXPECT_THROW(l.electionMember({"A", 1}, "../../x"), std::invalid_argument);
  EXPECT_THROW(l.electionMember({"A", 1}, "lock-"), std::invalid_argument);
  EXPECT_THROW(l.logicalService({"A", 10'000'000'000}), std::invalid_argument);
  EXPECT_EQ(l.logicalService({"A", kMaxSequence}), "/fed/config/A/logicalService9999999999");
}

TEST(Layout, ParsesChildNames) {
  EXPECT_EQ(Layout::parseLogicalServiceName("logicalService0000000042"), 42);
  EXPECT_EQ(Layout::parseLogicalServiceName("logicalService2147483647"), 2147483647);
  EXPECT_FALSE(Layout::parseLogicalServiceName("logicalService42"));
  EXPECT_FALSE(Layout::parseLogicalServiceName("logicalService00000000042"));
  EXPECT_FALSE(Layout::parseLogicalServiceName("logicalService-000000001"));
  EXPECT_FALSE(Layout::parseLogicalServiceName("physicalServices"));
  EXPECT_FALSE(Layout::parseLogicalServiceName("status"));

  EXPECT_EQ(Layout::parsePhysicalServiceName("physicalService" + kUuid), kUuid);
  EXPECT_FALSE(Layout::parsePhysicalServiceName("physicalService"));
  EXPECT_FALSE(Layout::parsePhysicalServiceName("physicalServiceXYZ"));
  EXPECT_EQ(Layout::physicalServiceName(kUuid), "physicalService" + kUuid);

  EXPECT_EQ(Layout::parseEventName("event-0000000007"), 7);
  EXPECT_FALSE(Layout::parseEventName("event-7"));
}

TEST(Layout, ParsesCreateLockNamesFromTheRight) {
  EXPECT_EQ(Layout::parseCreateLockName("DataServer_logicalService0000000003"),
            (LogicalServiceId{"DataServer", 3}));
  EXPECT_EQ(Layout::parseCreateLockName("my_type_logicalService0000000012"),
            (LogicalServiceId{"my_type", 12}));
  // A type whose own name looks like a create-lock suffix still parses.
  const LogicalServiceId tricky{"a_logicalService0000000001", 2};
  EXPECT_EQ(Layout::createLockName(tricky), "a_logicalService0000000001_logicalService0000000002");
  EXPECT_EQ(Layout::parseCreateLockName(Layout::createLockName(tricky)), tricky);
  EXPECT_FALSE(Layout::parseCreateLockName("_logicalService0000000003"));
  EXPECT_FALSE(Layout::parseCreateLockName("DataServer_logicalService3"));
  EXPECT_FALSE(Layout::parseCreateLockName("DataServer"));
  EXPECT_FALSE(Layout::parseCreateLockName("lock-0000000001"));
}

TEST(Layout, ParsesLockChildren) {
  EXPECT_EQ(Layout::parseLockChildName("lock-" + kUuid + "-0000000005"), (LockChildName{kUuid, 5}));
  EXPECT_EQ(Layout::parseLockChildName("lock-0000000005"), (LockChildName{"", 5}));
  EXPECT_FALSE(Layout::parseLockChildName("lock-" + kUuid + "0000000005"));
  EXPECT_FALSE(Layout::parseLockChildName("lock-garbage-0000000005"));
  EXPECT_FALSE(Layout::parseLockChildName("lock-" + kUuid + "-5"));
  EXPECT_FALSE(Layout::parseLockChildName("lock0000000005"));
  EXPECT_FALSE(Layout::parseLockChildName("lock-"));
}

TEST(Layout, ParsesPathsUnderItsRoot) {
  const Layout l("/fed");
  const LogicalServiceId ls{"my_type", 9};
  EXPECT_EQ(l.parseServiceTypePath("/fed/config/my_type"), "my_type");
  EXPECT_FALSE(l.parseServiceTypePath("/other/config/my_type"));
  EXPECT_FALSE(l.parseServiceTypePath("/fed/config"));
  EXPECT_FALSE(l.parseServiceTypePath("/fed/config/"));
  EXPECT_EQ(l.parseLogicalServicePath(l.logicalService(ls)), ls);
  EXPECT_FALSE(l.parseLogicalServicePath(l.electionDir(ls)));
  EXPECT_FALSE(l.parseLogicalServicePath("/fed/config/my_type/logicalService9"));
  const PhysicalServiceId ps{ls, kUuid};
  EXPECT_EQ(l.parsePhysicalServicePath(l.physicalService(ps)), ps);
  EXPECT_FALSE(l.parsePhysicalServicePath(l.physicalServicesDir(ls)));
  EXPECT_FALSE(l.parsePhysicalServicePath(l.electionDir(ls) + "/physicalService" + kUuid));
  EXPECT_FALSE(Layout("/fe").parseServiceTypePath("/fed/config/my_type"));
  EXPECT_EQ(Layout::childName("/fed/config/x"), "x");
  EXPECT_EQ(Layout::childName("x"), "x");
}

}  // namespace
}  // namespace sm::config

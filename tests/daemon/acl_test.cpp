// Invariant I8: with digest credentials configured for the daemons and servicesctl, every node
// they create lets only those credentials write, and a client without them can change neither the
// config, nor the locks, nor the registrations (reads per --read-access).
#include <fstream>
#include <functional>

#include <gtest/gtest.h>

#include "manager/zk/error.hpp"
#include "manager/zk/session.hpp"
#include "tests/daemon/support/daemon_cluster.hpp"

namespace sm::test {
namespace {

using std::chrono::milliseconds;

constexpr const char* kAuth = "servicesmgr:s3cret";

class DaemonAcl : public DaemonTest {
 protected:
  void SetUp() override {
    DaemonTest::SetUp();
    // A federation root that the daemons create, so that every node of it is theirs.
    useRoot(path("federation"));
    // The test reads (and finally removes) the tree with the same credentials.
    session_ = connectWith({{"servicesmgr", "s3cret"}});
  }

  std::shared_ptr<zk::Session> connectWith(std::vector<zk::DigestCredential> credentials) {
    zk::SessionOptions options;
    options.hosts = hosts();
    options.connectTimeout = milliseconds(10000);
    options.credentials = std::move(credentials);
    return zk::Session::connect(options);
  }

  void startSecuredCluster(const std::string& readAccess) {
    for (const std::string host : {"h1", "h2", "h3"}) {
      auto options = daemonOptions(host);
      options.extraArgs = {"--auth", kAuth, "--read-access", readAccess};
      startDaemon(options);
    }
    DemoType demo;
    demo.replicas = 2;
    const auto file = testDir_ / "demo.yaml";
    std::ofstream(file) << demo.yaml();
    const auto applied = ctl({"--auth", kAuth, "--read-access", readAccess, "apply", "-f", file});
    ASSERT_EQ(applied.exitCode, 0) << applied.out << applied.err;
    ASSERT_TRUE(waitConverged("Demo", 1, 2));
  }

  // Every node under the federation root, depth first.
  std::vector<std::string> allNodes() {
    std::vector<std::string> nodes;
    std::function<void(const std::string&)> walk = [&](const std::string& node) {
      nodes.push_back(node);
      auto children = session_->children(node);
      if (!children) return;
      for (const auto& child : *children) walk(node + "/" + child);
    };
    walk(zroot());
    return nodes;
  }

  // The error code a write by `session` gets, Ok if it succeeded.
  static zk::Code codeOf(const std::function<void()>& write) {
    try {
      write();
      return zk::Code::Ok;
    } catch (const zk::ZkError& e) {
      return e.code();
    }
  }
};

TEST_F(DaemonAcl, AClientWithoutTheCredentialsCannotChangeConfigLocksOrRegistrations) {
  ASSERT_NO_FATAL_FAILURE(startSecuredCluster("world"));
  const auto l = layout();
  const auto tree = snapshot();
  const auto& logical = tree.type("Demo")->logical.begin()->second;
  const auto& instance = logical.instances.begin()->second;
  const auto physical = l.physicalService({logical.id, instance.uuid});
  const auto electionDir = l.electionDir(logical.id);
  const auto electionNode = electionDir + "/" + logical.election.front().name;
  const auto monitorDir = l.serviceConfigMonitorLock("Demo");
  const auto monitorQueue = session_->children(monitorDir);
  ASSERT_TRUE(monitorQueue && !monitorQueue->empty());

  // Every node the daemons and servicesctl created: only the credentials may do more than read.
  for (const auto& node : allNodes()) {
    for (const auto& acl : session_->getAcl(node)) {
      if (acl.scheme == "world") {
        EXPECT_EQ(acl.perms, zk::perm::Read) << node << " lets anyone do more than read";
      } else {
        EXPECT_EQ(acl.scheme, "digest") << node;
      }
    }
  }

  auto foreign = connectWith({});
  const auto before = session_->get(l.serviceType("Demo"));
  EXPECT_EQ(foreign->get(l.serviceType("Demo"))->data, before->data) << "reads are open";
  const std::vector<std::pair<std::string, std::function<void()>>> writes = {
      {"change the config", [&] { foreign->set(l.serviceType("Demo"), "{}"); }},
      {"add a type", [&] { foreign->create(l.serviceType("Evil"), "{}"); }},
      {"delete the monitor lock's holder",
       [&] { foreign->remove(monitorDir + "/" + monitorQueue->front()); }},
      {"queue for the monitor lock", [&] { foreign->create(monitorDir + "/lock-x", ""); }},
      {"add a create-lock",
       [&] {
         foreign->create(l.createPhysicalServiceLock({"Demo", 7}), "");
       }},
      {"delete a registration", [&] { foreign->remove(physical); }},
      {"change a registration", [&] { foreign->set(physical, "{}"); }},
      {"add a registration",
       [&] {
         foreign->create(l.physicalService({logical.id, "00000000-0000-4000-8000-000000000000"}),
                         "");
       }},
      {"delete the master's election node", [&] { foreign->remove(electionNode); }},
      {"stand in the election", [&] { foreign->create(electionDir + "/lock-x-0000000099", ""); }},
      {"change a host node", [&] { foreign->set(l.host("h1"), "{}"); }},
      {"delete a host node", [&] { foreign->remove(l.host("h1")); }},
  };
  for (const auto& [what, write] : writes) {
    EXPECT_EQ(codeOf(write), zk::Code::NoAuth) << "a client without credentials could " << what;
  }
  EXPECT_EQ(session_->get(l.serviceType("Demo"))->data, before->data);
  EXPECT_TRUE(waitConverged("Demo", 1, 2));

  // servicesctl without the credentials is refused, and says so.
  const auto scaled = ctl({"scale", "Demo", "--services", "2"});
  EXPECT_EQ(scaled.exitCode, 1) << scaled.out << scaled.err;
  EXPECT_EQ(session_->get(l.serviceType("Demo"))->data, before->data);
}

TEST_F(DaemonAcl, WithCredentialsOnlyReadAccessAForeignClientCannotReadEither) {
  ASSERT_NO_FATAL_FAILURE(startSecuredCluster("credentials"));
  auto foreign = connectWith({});
  EXPECT_EQ(codeOf([&] { foreign->get(layout().serviceType("Demo")); }), zk::Code::NoAuth);
  EXPECT_EQ(codeOf([&] { foreign->children(layout().hostsDir()); }), zk::Code::NoAuth);
  const auto got = ctl({"get", "types"});
  EXPECT_EQ(got.exitCode, 1) << got.out << got.err;
  const auto authorised = ctl({"--auth", kAuth, "get", "types"});
  EXPECT_EQ(authorised.exitCode, 0) << authorised.out << authorised.err;
  EXPECT_NE(authorised.out.find("Demo"), std::string::npos) << authorised.out;
}

}  // namespace
}  // namespace sm::test

// Issue 13, "addresses in the role file", on real hosts: three daemons each in its own network
// namespace with its own address, ZooKeeper on a fourth. A secondary finds its master from its role
// file's masterPeer (address, endpoints) and connects to it there, before and after a failover; the
// peers file lists every instance at its own host's address.
#include <signal.h>

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "tests/hosts/support/hosts_cluster.hpp"
#include "tests/hosts/support/netns_socket.hpp"
#include "tests/support/wait_for.hpp"

namespace sm::test {
namespace {

using std::chrono::milliseconds;

class HostsMasterAddress : public HostsTest {
 protected:
  // The endpoint ("address:port") of an instance's http port at its host's address.
  std::string endpointOf(const InstanceInfo& instance) {
    return fmt::format("{}:{}", network_->host(instance.host).address, instance.ports.at("http"));
  }

  // Empty when every secondary's role file names the master's address and endpoint and the
  // secondary, asked over its own host's address, reaches the master there; else what is wrong.
  std::string secondariesReachTheMaster(const LogicalInfo& logical) {
    const auto* master = logical.master();
    if (master == nullptr) return "no master";
    const auto& masterHost = network_->host(master->host);
    for (const auto& [uuid, i] : logical.instances) {
      if (uuid == master->uuid) continue;
      auto role = readRole(i.host, uuid);
      if (!role) return uuid + ": no role file";
      if (role->masterAddress != masterHost.address ||
          services::masterEndpoint(*role, "http") != endpointOf(*master)) {
        return fmt::format("{} on {}: masterPeer {} does not give {} / {}", uuid, i.host,
                           role->masterPeerJson, masterHost.address, endpointOf(*master));
      }
      const auto& host = network_->host(i.host);
      const auto line = askLine(host.address, static_cast<int>(i.ports.at("http")), "MASTER");
      auto answer = nlohmann::json::parse(line, nullptr, false);
      if (!answer.is_object() || answer["endpoint"] != endpointOf(*master) ||
          answer["master"]["role"] != "master" || answer["master"]["pid"] != master->pid) {
        return fmt::format("{} on {} asked for its master: {}", uuid, i.host, line);
      }
    }
    return "";
  }
};

TEST_F(HostsMasterAddress, ASecondaryConnectsToItsMasterThroughTheRoleFile) {
  startZooKeeper(1);
  startHosts();
  ASSERT_FALSE(HasFailure());
  apply(spreadDemo());
  ASSERT_TRUE(waitConverged("Demo", 3));

  std::string problem;
  ASSERT_TRUE(waitFor(
      [&] {
        problem = secondariesReachTheMaster(snapshot().type("Demo")->logical.begin()->second);
        return problem.empty();
      },
      milliseconds(10000), milliseconds(50)))
      << problem << "\n"
      << stateDump();

  // The peers file: every instance at its own host's address, the same list on every host.
  const auto tree = snapshot();
  const auto& logical = tree.type("Demo")->logical.begin()->second;
  std::vector<std::string> expected;
  for (const auto& [uuid, i] : logical.instances) expected.push_back(endpointOf(i));
  std::sort(expected.begin(), expected.end());
  const std::string expectedText = fmt::format("{}\n", fmt::join(expected, "\n"));
  for (const auto& [uuid, i] : logical.instances) {
    EXPECT_TRUE(waitFor([&] { return readFile(peersFile(i.host, uuid)) == expectedText; },
                        milliseconds(5000), milliseconds(20)))
        << uuid << " on " << i.host << ": " << readFile(peersFile(i.host, uuid)) << "want "
        << expectedText;
  }

  // After a failover the secondaries follow the new master to its own host.
  const auto oldMaster = *logical.master();
  ASSERT_EQ(::kill(static_cast<pid_t>(oldMaster.pid), SIGKILL), 0);
  ASSERT_TRUE(waitFor(
      [&] {
        const auto now = snapshot();
        const auto* type = now.type("Demo");
        if (type == nullptr || type->logical.empty()) return false;
        const auto& l = type->logical.begin()->second;
        const auto* master = l.master();
        if (master == nullptr || master->uuid == oldMaster.uuid ||
            !convergenceProblem(now, "Demo", 3).empty()) {
          return false;
        }
        problem = secondariesReachTheMaster(l);
        return problem.empty();
      },
      milliseconds(20000), milliseconds(50)))
      << problem << "\n"
      << stateDump();
}

}  // namespace
}  // namespace sm::test

// Issue 13: examples/h2o-cloud/cloud.yaml as it is, on three namespaced hosts (h1 h2 h3, each with
// its own address and --address): every worker's flatfile lists the three workers at their own,
// distinct host addresses, and `servicesctl wait --ready` prints the leader's address and endpoint.
#include <stdlib.h>

#include <algorithm>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "tests/hosts/support/hosts_cluster.hpp"
#include "tests/support/wait_for.hpp"

namespace sm::test {
namespace {

using std::chrono::milliseconds;
using Lines = std::vector<std::string>;
constexpr const char* kType = "h2o-cloud";

class HostsH2oCloud : public HostsTest {
 protected:
  // The file names its program "sm-demo-service", found on the PATH the daemons inherit.
  static void SetUpTestSuite() {
    HostsTest::SetUpTestSuite();
    const auto demoDir = std::filesystem::path(SM_DEMO_SERVICE).parent_path().string();
    const char* path = ::getenv("PATH");
    ::setenv("PATH", (demoDir + ":" + (path ? path : "/usr/bin:/bin")).c_str(), 1);
  }

  Lines flatfile(const std::string& hostId, const std::string& uuid) {
    Lines lines;
    std::ifstream in(peersFile(hostId, uuid));
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }
};

TEST_F(HostsH2oCloud, FlatfilesListDistinctHostAddressesAndWaitPrintsTheLeadersAddress) {
  startZooKeeper(1);
  startHosts();
  ASSERT_FALSE(HasFailure());
  const auto applied = ctl({"apply", "-f", CLOUD_YAML});
  ASSERT_EQ(applied.exitCode, 0) << applied.out << applied.err;
  const auto ready = ctl({"wait", kType, "--ready", "--timeout", "30s"});
  ASSERT_EQ(ready.exitCode, 0) << ready.out << ready.err;

  const auto tree = snapshot();
  const auto& cloud = tree.type(kType)->logical.begin()->second;
  const auto leader = *cloud.master();
  const auto& leaderAddress = network_->host(leader.host).address;
  EXPECT_NE(ready.out.find("address " + leaderAddress), std::string::npos) << ready.out;
  EXPECT_NE(ready.out.find(fmt::format("http={}:{}", leaderAddress, leader.ports.at("http"))),
            std::string::npos)
      << ready.out;

  Lines expected;
  for (const auto& [uuid, i] : cloud.instances) {
    expected.push_back(fmt::format("{}:{}", network_->host(i.host).address, i.ports.at("http")));
  }
  std::sort(expected.begin(), expected.end());
  std::set<std::string> addresses;
  for (const auto& line : expected) addresses.insert(line.substr(0, line.rfind(':')));
  EXPECT_EQ(addresses, (std::set<std::string>{"127.100.0.11", "127.100.0.12", "127.100.0.13"}));
  for (const auto& [uuid, i] : cloud.instances) {
    EXPECT_TRUE(waitFor([&] { return flatfile(i.host, uuid) == expected; }, milliseconds(5000),
                        milliseconds(20)))
        << uuid << " on " << i.host << ": "
        << fmt::format("{}", fmt::join(flatfile(i.host, uuid), " "));
  }
}

}  // namespace
}  // namespace sm::test

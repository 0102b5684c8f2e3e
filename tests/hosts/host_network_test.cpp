// The multi-host harness itself (tests/support/host_network.*): hosts reach each other and the test
// over the bridge at their own addresses, cuts are silent and heal, and nothing it made survives
// it, not even a run that was SIGKILLed.
#include "tests/support/host_network.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/hosts/support/netns_socket.hpp"
#include "tests/support/wait_for.hpp"

namespace sm::test {
namespace {

using namespace std::chrono_literals;

constexpr int kPort = 7100;

std::string rootSysctl(const std::string& key) {
  std::ifstream in("/proc/sys/net/ipv4/conf/" + key);
  std::string value;
  in >> value;
  return value;
}

class HostNetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (auto reason = HostNetwork::unavailableReason(); !reason.empty()) {
      GTEST_SKIP() << "multi-host tests skipped: " << reason;
    }
  }
};

TEST_F(HostNetworkTest, HostsReachEachOtherAndTheTestAtTheirOwnAddresses) {
  HostNetwork network;
  const auto& h1 = network.addHost("h1", 11);
  const auto& h2 = network.addHost("h2", 12);
  const int listener = listenIn(h2, kPort);
  ASSERT_GE(listener, 0);
  EXPECT_EQ(connectFrom(&h1, h2.address, kPort, 2s), "connected");
  EXPECT_EQ(connectFrom(nullptr, h2.address, kPort, 2s), "connected") << "from the test";
  // Each host has its own stack: h2's port is not open on h1's address.
  EXPECT_EQ(connectFrom(nullptr, h1.address, kPort, 2s), "refused");
  ::close(listener);
}

TEST_F(HostNetworkTest, ACutHostIsSilentAndHeals) {
  HostNetwork network;
  const auto& h1 = network.addHost("h1", 11);
  const auto& h2 = network.addHost("h2", 12);
  const int listener = listenIn(h2, kPort);
  ASSERT_GE(listener, 0);
  network.cut(h2);
  // No reset, no error: the SYN vanishes, as behind a firewall that drops.
  EXPECT_EQ(connectFrom(&h1, h2.address, kPort, 500ms), "timeout");
  EXPECT_EQ(connectFrom(nullptr, h2.address, kPort, 500ms), "timeout");
  network.heal(h2);
  EXPECT_EQ(connectFrom(&h1, h2.address, kPort, 2s), "connected");
  ::close(listener);
}

TEST_F(HostNetworkTest, ACutBetweenTwoHostsLeavesEveryOtherPath) {
  HostNetwork network;
  const auto& h1 = network.addHost("h1", 11);
  const auto& h2 = network.addHost("h2", 12);
  const auto& h3 = network.addHost("h3", 13);
  const int on2 = listenIn(h2, kPort);
  const int on1 = listenIn(h1, kPort);
  ASSERT_GE(on2, 0);
  ASSERT_GE(on1, 0);
  network.cutBetween(h1, h2);
  EXPECT_EQ(connectFrom(&h1, h2.address, kPort, 500ms), "timeout");
  EXPECT_EQ(connectFrom(&h2, h1.address, kPort, 500ms), "timeout");
  EXPECT_EQ(connectFrom(&h3, h2.address, kPort, 2s), "connected");
  EXPECT_EQ(connectFrom(&h3, h1.address, kPort, 2s), "connected");
  EXPECT_EQ(connectFrom(nullptr, h2.address, kPort, 2s), "connected");
  network.heal(h1);
  EXPECT_EQ(connectFrom(&h1, h2.address, kPort, 2s), "connected");
  ::close(on1);
  ::close(on2);
}

TEST_F(HostNetworkTest, TeardownLeavesNoNamespaceLinkOrSysctlBehind) {
  const auto allBefore = rootSysctl("all/route_localnet");
  const auto defaultBefore = rootSysctl("default/route_localnet");
  {
    HostNetwork network;
    network.addHost("h1", 11);
    network.addHost("zk1", 21);
    network.cutBetween(network.host("h1"), network.host("zk1"));
    network.cut(network.host("h1"));
    EXPECT_EQ(HostNetwork::leftovers().size(), 5u)  // 2 namespaces, 2 veth ends, the bridge
        << fmt::format("{}", fmt::join(HostNetwork::leftovers(), ", "));
    EXPECT_EQ(rootSysctl(std::string(HostNetwork::kBridge) + "/route_localnet"), "1");
  }
  EXPECT_TRUE(HostNetwork::leftovers().empty())
      << fmt::format("{}", fmt::join(HostNetwork::leftovers(), ", "));
  EXPECT_EQ(rootSysctl("all/route_localnet"), allBefore);
  EXPECT_EQ(rootSysctl("default/route_localnet"), defaultBefore);
}

// A run killed before its destructors (SIGKILL, a crash) leaves its namespaces and links; the next
// HostNetwork removes them before it builds anything, and itself leaves nothing.
TEST_F(HostNetworkTest, AKilledRunsLeftoversAreSweptByTheNextRun) {
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(ready[0]);
    try {
      HostNetwork network;
      network.addHost("h1", 11);
      network.addHost("h2", 12);
      [[maybe_unused]] auto n = ::write(ready[1], "r", 1);
      ::pause();  // until SIGKILLed: the destructor never runs
    } catch (...) {
    }
    ::_exit(1);
  }
  ::close(ready[1]);
  char byte = 0;
  const bool built = ::read(ready[0], &byte, 1) == 1;
  ::close(ready[0]);
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  ASSERT_TRUE(built) << "the child could not build its network";
  EXPECT_FALSE(HostNetwork::leftovers().empty()) << "the killed run left nothing to sweep?";
  {
    HostNetwork next;  // sweeps what the killed run left
    const auto& h1 = next.addHost("h1", 11);
    EXPECT_EQ(HostNetwork::leftovers().size(), 3u)
        << fmt::format("{}", fmt::join(HostNetwork::leftovers(), ", "));
    const int listener = listenIn(h1, kPort);
    EXPECT_EQ(connectFrom(nullptr, h1.address, kPort, 2s), "connected");
    ::close(listener);
  }
  EXPECT_TRUE(HostNetwork::leftovers().empty())
      << fmt::format("{}", fmt::join(HostNetwork::leftovers(), ", "));
}

}  // namespace
}  // namespace sm::test

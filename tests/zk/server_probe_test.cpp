// anyServerAccepts against the binary's real server and ports where nothing listens.
#include "manager/zk/server_probe.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "manager/zkserver/free_port.hpp"
#include "tests/support/zookeeper_fixture.hpp"

namespace sm::test {
namespace {

using std::chrono::milliseconds;

class ServerProbeTest : public ZooKeeperTest {};

TEST_F(ServerProbeTest, AcceptedWhenOneServerListens) {
  EXPECT_TRUE(zk::anyServerAccepts(hosts(), milliseconds(2000)));
  const auto nobody = fmt::format("127.0.0.1:{}", zkserver::freeLoopbackPort());
  EXPECT_TRUE(zk::anyServerAccepts(nobody + "," + hosts() + "/with/chroot", milliseconds(2000)));
}

TEST_F(ServerProbeTest, RefusedOnlyWhenEveryServerRefuses) {
  const auto a = fmt::format("127.0.0.1:{}", zkserver::freeLoopbackPort());
  const auto b = fmt::format("127.0.0.1:{}", zkserver::freeLoopbackPort());
  EXPECT_FALSE(zk::anyServerAccepts(a + "," + b, milliseconds(2000)));
  EXPECT_FALSE(zk::anyServerAccepts("no-such-host.invalid:2181", milliseconds(2000)))
      << "a name that does not resolve is no server";
}

}  // namespace
}  // namespace sm::test

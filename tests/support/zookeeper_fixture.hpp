#pragma once
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "manager/zk/session.hpp"
#include "manager/zkserver/local_zookeeper.hpp"

namespace sm::test {

// One real standalone server for the whole test binary (a JVM start costs about a second of CPU),
// with a fresh root znode per test so that tests do not see each other's nodes.
class ZooKeeperTest : public ::testing::Test {
 public:
  static void SetUpTestSuite();

 protected:
  void SetUp() override;
  void TearDown() override;

  static zkserver::LocalZooKeeper& server();
  static std::string hosts();
  // A new session to the shared server, connected.
  std::shared_ptr<zk::Session> connect(
      std::chrono::milliseconds sessionTimeout = std::chrono::milliseconds(4000));
  // The znode under which this test works, created before the test body runs.
  const std::string& root() const { return root_; }
  std::string path(const std::string& relative) const { return root_ + "/" + relative; }
  // After the shared server was stopped and started again: waits until the test's own session
  // reads again (the fixture's cleanup reads and deletes through it); false if not in time.
  bool waitSessionReads(std::chrono::milliseconds timeout = std::chrono::milliseconds(20000));

  std::shared_ptr<zk::Session> session_;  // an admin session for the test's own reads

 private:
  // Shared by every suite of the binary; stopped (by PID) when the binary exits.
  static std::unique_ptr<zkserver::LocalZooKeeper> server_;
  std::string root_;
};

// Ends a session from outside, as Curator's KillSession does: a second handle attaches to the same
// session (id and password) and closes it, so the server expires it at once. The victim may
// reconnect in between and take its session back (then the close never reaches the server), so the
// kill is repeated until the victim has seen its expiry; false if it never did within the timeout.
bool expireSession(const std::string& hosts, zk::Session& victim,
                   std::chrono::milliseconds timeout = std::chrono::milliseconds(20000));

}  // namespace sm::test

#include "tests/support/zookeeper_fixture.hpp"

#include <atomic>

#include <fmt/format.h>

#include "tests/support/wait_for.hpp"

namespace sm::test {

std::unique_ptr<zkserver::LocalZooKeeper> ZooKeeperTest::server_;

void ZooKeeperTest::SetUpTestSuite() {
  if (!server_) server_ = std::make_unique<zkserver::LocalZooKeeper>();
}

zkserver::LocalZooKeeper& ZooKeeperTest::server() {
  SetUpTestSuite();
  return *server_;
}

std::string ZooKeeperTest::hosts() {
  return server().connectString();
}

std::shared_ptr<zk::Session> ZooKeeperTest::connect(std::chrono::milliseconds sessionTimeout) {
  zk::SessionOptions options;
  options.hosts = hosts();
  options.sessionTimeout = sessionTimeout;
  options.connectTimeout = std::chrono::milliseconds(10000);
  return zk::Session::connect(options);
}

void ZooKeeperTest::SetUp() {
  static std::atomic<int> counter{0};
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  root_ = fmt::format("/{}.{}-{}", info->test_suite_name(), info->name(), counter++);
  for (auto& c : root_) {
    if (c == '/' && &c != &root_[0]) c = '_';
  }
  session_ = connect();
  session_->create(root_, "");
}

bool ZooKeeperTest::waitSessionReads(std::chrono::milliseconds timeout) {
  return waitFor(
      [&] {
        try {
          session_->exists(root_);
          return true;
        } catch (const zk::ZkError&) {
          return false;
        }
      },
      timeout, std::chrono::milliseconds(50));
}

void ZooKeeperTest::TearDown() {
  if (session_ && session_->usable()) session_->removeRecursive(root_);
  session_.reset();
}

bool expireSession(const std::string& hosts, zk::Session& victim,
                   std::chrono::milliseconds timeout) {
  const auto credentials = victim.credentials();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    zk::SessionOptions options;
    options.hosts = hosts;
    options.attach = credentials;
    options.connectTimeout = std::chrono::milliseconds(5000);
    try {
      zk::Session::connect(options)->close();
    } catch (const zk::ZkError& e) {
      if (e.code() != zk::Code::SessionExpired) throw;  // already gone: the victim will hear of it
    }
    if (waitFor([&] { return victim.state() == zk::SessionState::Expired; },
                std::chrono::milliseconds(2000))) {
      return true;
    }
  }
  return false;
}

}  // namespace sm::test

#include "tests/support/zookeeper_fixture.hpp"

#include <atomic>

#include <fmt/format.h>

namespace sm::test {

std::unique_ptr<zkserver::LocalZooKeeper> ZooKeeperTest::server_;

void ZooKeeperTest::SetUpTestSuite() {
  if (!server_) server_ = std::make_unique<zkserver::LocalZooKeeper>();
}

void ZooKeeperTest::TearDownTestSuite() {}

zkserver::LocalZooKeeper& ZooKeeperTest::server() {
  SetUpTestSuite();
  return *server_;
}

std::string ZooKeeperTest::hosts() { return server().connectString(); }

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

void ZooKeeperTest::TearDown() {
  if (session_ && session_->usable()) session_->removeRecursive(root_);
  session_.reset();
}

void expireSession(const std::string& hosts, const zk::SessionCredentials& credentials) {
  zk::SessionOptions options;
  options.hosts = hosts;
  options.attach = credentials;
  options.connectTimeout = std::chrono::milliseconds(10000);
  auto twin = zk::Session::connect(options);
  twin->close();
}

}  // namespace sm::test

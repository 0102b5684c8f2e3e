// LeaseRenewer against a real server: turned on, it renews at once (no renewal ran while it was
// off, and the first master or lock holder must find a lease ready), and only while it is on.
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "manager/daemon/context.hpp"
#include "manager/daemon/lease_renewer.hpp"
#include "manager/daemon/master_lease.hpp"
#include "services/role.hpp"
#include "tests/support/zookeeper_fixture.hpp"

namespace sm::test {
namespace {

using std::chrono::milliseconds;

class LeaseRenewerTest : public ZooKeeperTest {
 protected:
  void SetUp() override {
    ZooKeeperTest::SetUp();
    daemon::DaemonOptions options;
    options.hostId = "h1";
    options.root = path("fed");
    context_ = std::make_unique<daemon::DaemonContext>(
        options, [] {}, [] {});
    context_->setSession(connect());
    lease_ = std::make_unique<daemon::MasterLease>(*context_);
  }

  // Waits until `count` renewals were handed over; false when they did not come in time.
  bool renewals(int count, milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return deadlines_.size() >= size_t(count); });
  }
  std::uint64_t last() {
    std::lock_guard lock(mutex_);
    return deadlines_.back();
  }
  void sink(std::uint64_t deadline) {
    {
      std::lock_guard lock(mutex_);
      deadlines_.push_back(deadline);
    }
    changed_.notify_all();
  }

  std::unique_ptr<daemon::DaemonContext> context_;
  std::unique_ptr<daemon::MasterLease> lease_;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::uint64_t> deadlines_;
};

// A period no test outlives: every renewal seen here is one made at once.
constexpr auto kNever = std::chrono::hours(1);

TEST_F(LeaseRenewerTest, TurnedOnItRenewsAtOnceAndAgainAfterBeingOff) {
  daemon::LeaseRenewer renewer(
      *lease_, [this](std::uint64_t d) { sink(d); }, kNever);
  renewer.setActive(true);
  ASSERT_TRUE(renewals(1, milliseconds(10000))) << "no renewal when turned on";
  EXPECT_GT(last(), services::monotonicNowNs()) << "the renewal must give a live lease";
  EXPECT_EQ(last(), lease_->deadline());

  renewer.setActive(true);  // already on: nothing new
  renewer.setActive(false);
  renewer.setActive(true);
  ASSERT_TRUE(renewals(2, milliseconds(10000))) << "no renewal when turned on again";
  renewer.stop();
  std::lock_guard lock(mutex_);
  EXPECT_EQ(deadlines_.size(), 2u) << "one renewal per turning on";
}

}  // namespace
}  // namespace sm::test

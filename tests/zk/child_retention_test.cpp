// ChildRetention against a real server: one holder among several trims a sequential history to
// its newest `keep`, oldest first; the next in line takes over when the holder goes; a client
// that does not hold deletes nothing.
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "manager/zk/child_retention.hpp"
#include "manager/zk/op.hpp"
#include "manager/zk/path.hpp"
#include "manager/zk/sequential_name.hpp"
#include "tests/support/wait_for.hpp"
#include "tests/support/zookeeper_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using sm::test::waitFor;
using namespace sm::zk;

class ChildRetentionTest : public sm::test::ZooKeeperTest {
 protected:
  void SetUp() override {
    ZooKeeperTest::SetUp();
    dir_ = path("events");
    session_->create(dir_, "");
  }

  ChildRetention::Options options(std::size_t keep) const {
    ChildRetention::Options o;
    o.dir = dir_;
    o.childPrefix = "event-";
    o.lockDir = path("retentionLock");
    o.keep = keep;
    o.batch = 70;
    o.interval = 100ms;
    return o;
  }

  void write(int count) {
    for (int done = 0; done < count;) {
      std::vector<Op> ops;
      for (int i = 0; i < 200 && done < count; ++i, ++done) {
        ops.push_back(
            Op::create(dir_ + "/event-", std::to_string(done), CreateMode::PersistentSequential));
      }
      session_->multi(ops);
    }
  }

  std::vector<std::int64_t> sequences() {
    std::vector<std::int64_t> out;
    for (const auto& e : queueOrder(*session_->children(dir_), "event-")) out.push_back(e.sequence);
    return out;
  }

  std::string dir_;
};

TEST_F(ChildRetentionTest, TrimsOldestFirstOnlyAboveTheSlack) {
  ChildRetention retention(connect(), options(100));
  write(110);                           // keep + 10 %: not yet
  EXPECT_EQ(retention.trimOnce(), 0u);  // queues; first, so it holds
  ASSERT_TRUE(waitFor([&] { return retention.held(); }, 5000ms));
  EXPECT_EQ(retention.trimOnce(), 0u);
  EXPECT_EQ(sequences().size(), 110u);

  write(300);  // 410: down to the newest 100, in batches of 70
  EXPECT_EQ(retention.trimOnce(), 310u);
  const auto left = sequences();
  ASSERT_EQ(left.size(), 100u);
  EXPECT_EQ(left.front(), 310);
  EXPECT_EQ(left.back(), 409);
  EXPECT_EQ(retention.removed(), 310u);
}

TEST_F(ChildRetentionTest, OnlyTheHolderTrimsAndTheNextTakesOver) {
  auto first = std::make_unique<ChildRetention>(connect(), options(50));
  first->trimOnce();
  ASSERT_TRUE(waitFor([&] { return first->held(); }, 5000ms));
  ChildRetention second(connect(), options(50));
  second.start();
  write(200);
  // The second queues but does not hold: it removes nothing, whatever it is asked.
  for (int i = 0; i < 5; ++i) second.poke();
  EXPECT_FALSE(waitFor([&] { return second.removed() > 0; }, 500ms));
  EXPECT_EQ(sequences().size(), 200u);

  // The holder goes (its place with it): the second takes over on its own thread.
  first.reset();
  ASSERT_TRUE(waitFor([&] { return second.held(); }, 5000ms));
  ASSERT_TRUE(waitFor([&] { return sequences().size() == 50u; }, 5000ms)) << sequences().size();
  // (Counted once its multi() returned: just after the server applied it.)
  EXPECT_TRUE(waitFor([&] { return second.removed() == 150u; }, 5000ms)) << second.removed();
  EXPECT_EQ(sequences().back(), 199);
}

TEST_F(ChildRetentionTest, AFloodIsBoundedByTheThread) {
  ChildRetention retention(connect(), options(1000));
  retention.start();
  write(5000);
  retention.poke();
  ASSERT_TRUE(waitFor([&] { return sequences().size() <= retention.limit(); }, 20000ms))
      << sequences().size();
  EXPECT_EQ(sequences().back(), 4999);
}

}  // namespace

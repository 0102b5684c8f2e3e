#include <atomic>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "manager/zk/election.hpp"
#include "manager/zk/lock.hpp"
#include "manager/zk/path.hpp"
#include "manager/zk/queue_member.hpp"
#include "manager/zkserver/local_zookeeper.hpp"
#include "tests/support/wait_for.hpp"

namespace {

using namespace std::chrono_literals;
using sm::test::waitFor;
using namespace sm::zk;

class EnsembleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ensemble_ = std::make_unique<sm::zkserver::LocalEnsemble>(3);
    setDeterministicConnectOrder(true);
  }
  static void TearDownTestSuite() {
    setDeterministicConnectOrder(false);
    ensemble_.reset();
  }
  void SetUp() override { ASSERT_TRUE(ensemble_->waitQuorum(30s)); }

  // A session that reaches server `first` first (the C client tries the list in order).
  static std::shared_ptr<Session> connectTo(size_t first) {
    std::string hosts = fmt::format("127.0.0.1:{}", ensemble_->server(first).clientPort());
    for (size_t i = 0; i < ensemble_->size(); ++i) {
      if (i != first) hosts += fmt::format(",127.0.0.1:{}", ensemble_->server(i).clientPort());
    }
    SessionOptions options;
    options.hosts = hosts;
    options.sessionTimeout = 10s;
    auto session = Session::connect(options);
    EXPECT_EQ(ensemble_->indexOfAddress(session->connectedHost()), first);
    return session;
  }
  static size_t aFollower() {
    auto leader = ensemble_->leader();
    return leader == 0u ? 1 : 0;
  }

  static std::unique_ptr<sm::zkserver::LocalEnsemble> ensemble_;
};

std::unique_ptr<sm::zkserver::LocalEnsemble> EnsembleTest::ensemble_;

TEST_F(EnsembleTest, StoppingTheLeaderLosesNoSessionAndRecipesKeepWorking) {
  const auto leader = ensemble_->leader();
  ASSERT_TRUE(leader);
  const size_t follower = aFollower();
  auto onLeader = connectTo(*leader);
  auto onFollower = connectTo(follower);
  auto admin = connectTo(follower);
  const std::string root = "/leader-loss";
  admin->create(root, "");
  admin->create(root + "/lock", "");
  admin->create(root + "/election", "");

  Lock held(onLeader, root + "/lock");
  ASSERT_TRUE(held.acquire(5s));
  Lock waiting(onFollower, root + "/lock");
  std::thread waiter([&] { EXPECT_TRUE(waiting.acquire(60s)); });
  ASSERT_TRUE(waitFor([&] { return admin->children(root + "/lock")->size() == 2; }));

  std::atomic<int> lost{0}, masterCalls1{0}, masterCalls2{0};
  Election master(onLeader, root + "/election", "1",
                  {[&](int64_t) { ++masterCalls1; }, nullptr, [&](LossReason) { ++lost; }});
  master.join();
  ASSERT_TRUE(waitFor([&] { return masterCalls1 == 1; }));
  Election secondary(onFollower, root + "/election", "2",
                     {[&](int64_t) { ++masterCalls2; }, nullptr, [&](LossReason) { ++lost; }});
  secondary.join();
  held.onLost([&](LossReason) { ++lost; });

  const auto id1 = onLeader->id();
  const auto id2 = onFollower->id();
  ensemble_->server(*leader).stop();
  ASSERT_TRUE(waitFor(
      [&] {
        auto l = ensemble_->leader();
        return l && *l != *leader;
      },
      30s));
  ASSERT_TRUE(waitFor([&] { return onLeader->connected() && onFollower->connected(); }, 15s));
  EXPECT_NE(ensemble_->indexOfAddress(onLeader->connectedHost()), leader);

  EXPECT_EQ(onLeader->id(), id1) << "the session survived the leader's loss";
  EXPECT_EQ(onFollower->id(), id2);
  EXPECT_EQ(lost, 0);
  // Suspended while the connection was down, they are sure again once the queue is read after the
  // reconnect (on the dispatcher, just after `connected()` turns true).
  EXPECT_TRUE(waitFor([&] { return held.held() && master.isMaster(); }, 5s))
      << "the lock and the mastership are held again after the reconnect";
  EXPECT_TRUE(held.verifyHeld());
  EXPECT_FALSE(waiting.held());
  EXPECT_EQ(masterCalls2, 0) << "no failover happened";

  held.release();
  waiter.join();
  EXPECT_TRUE(waiting.verifyHeld());
  master.leave();
  ASSERT_TRUE(waitFor([&] { return masterCalls2 == 1; }));
  waiting.release();
  secondary.leave();

  ensemble_->restart(*leader);
  admin->removeRecursive(root);
}

TEST_F(EnsembleTest, CreatesCutOffByAStoppedServerAreRetriedWithoutGhosts) {
  const size_t victim = aFollower();
  auto session = connectTo(victim);
  auto admin = connectTo(ensemble_->leader().value());
  const std::string dir = "/ghosts";
  admin->create(dir, "");

  // Freeze the server so that the creates are in flight when it dies, then kill it.
  constexpr int kMembers = 40;
  ensemble_->server(victim).freeze();
  std::vector<std::shared_ptr<QueueMember>> members;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < kMembers; ++i) {
    members.push_back(QueueMember::make(session, dir, "lock-", "", {}));
    threads.emplace_back([&, i] {
      try {
        members[i]->enter();
      } catch (const std::exception& e) {
        ++failures;
        ADD_FAILURE() << e.what();
      }
    });
  }
  ensemble_->server(victim).kill();
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures, 0);

  uint64_t retries = 0, adopted = 0;
  std::set<std::string> paths;
  for (auto& m : members) {
    retries += m->createRetries();
    adopted += m->adoptedAfterRetry();
    paths.insert(m->nodePath());
  }
  EXPECT_GE(retries, 1u) << "the stopped server cut creates off mid-operation";
  EXPECT_EQ(paths.size(), static_cast<size_t>(kMembers));
  auto children = admin->children(dir);
  ASSERT_TRUE(children);
  EXPECT_EQ(children->size(), static_cast<size_t>(kMembers)) << "exactly one node per create";
  for (const auto& name : *children) EXPECT_EQ(paths.count(childPath(dir, name)), 1u) << name;
  RecordProperty("createRetries", static_cast<int>(retries));
  RecordProperty("adoptedAfterRetry", static_cast<int>(adopted));

  for (auto& m : members) m->leave();
  EXPECT_TRUE(admin->children(dir)->empty());
  ensemble_->restart(victim);
  admin->removeRecursive(dir);
}

}  // namespace

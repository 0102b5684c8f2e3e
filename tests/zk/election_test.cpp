#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include <gtest/gtest.h>

#include "manager/zk/election.hpp"
#include "manager/zk/path.hpp"
#include "tests/support/wait_for.hpp"
#include "tests/support/zookeeper_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using sm::test::waitFor;
using namespace sm::zk;

// One candidate with what its callbacks reported.
struct Candidate {
  std::shared_ptr<Session> session;
  std::unique_ptr<Election> election;
  std::atomic<int64_t> masterEpoch{-1};
  std::atomic<int> masterCalls{0};
  std::atomic<int> masterCallsOnDispatcher{0};
  std::mutex mutex;
  std::string following;  // the predecessor, while secondary
  std::string follows() {
    std::lock_guard lock(mutex);
    return following;
  }
  std::atomic<int> lost{0};
  std::atomic<bool> lostForExpiry{false};
  std::atomic<int> suspended{0};
};

class ElectionTest : public sm::test::ZooKeeperTest {
 protected:
  void SetUp() override {
    ZooKeeperTest::SetUp();
    dir_ = path("election");
    session_->create(dir_, "");
  }

  std::unique_ptr<Candidate> candidate(const std::string& data,
                                       std::chrono::milliseconds sessionTimeout = 2000ms,
                                       bool masterEarly = false) {
    auto c = std::make_unique<Candidate>();
    c->session = connect(sessionTimeout);
    Election::Callbacks callbacks;
    auto* raw = c.get();
    callbacks.onMaster = [raw](int64_t epoch) {
      raw->masterEpoch = epoch;
      ++raw->masterCalls;
      if (raw->session->onDispatcherThread()) ++raw->masterCallsOnDispatcher;
    };
    callbacks.masterEarly = masterEarly;
    callbacks.onSecondary = [raw](const std::string& predecessor) {
      std::lock_guard lock(raw->mutex);
      raw->following = predecessor;
    };
    callbacks.onLost = [raw](LossReason reason) {
      raw->lostForExpiry = reason == LossReason::SessionExpired;
      ++raw->lost;
    };
    callbacks.onSuspended = [raw] { ++raw->suspended; };
    c->election = std::make_unique<Election>(c->session, dir_, data, callbacks);
    c->election->join();
    return c;
  }
  std::string name(Candidate& c) { return std::string(nodeName(c.election->nodePath())); }
  std::string dir_;
};

TEST_F(ElectionTest, FirstIsMasterOthersFollowInOrder) {
  auto a = candidate("a");
  ASSERT_TRUE(waitFor([&] { return a->masterCalls == 1; }));
  auto b = candidate("b");
  auto c = candidate("c");
  ASSERT_TRUE(waitFor([&] { return b->follows() == name(*a) && c->follows() == name(*b); }));
  EXPECT_TRUE(a->election->isMaster());
  EXPECT_FALSE(b->election->isMaster());
  EXPECT_EQ(a->election->epoch(), a->masterEpoch.load());

  auto members = Election::members(*session_, dir_);
  ASSERT_EQ(members.size(), 3u);
  EXPECT_EQ(members[0].data, "a");
  EXPECT_EQ(members[1].data, "b");
  EXPECT_EQ(members[2].data, "c");
  EXPECT_EQ(members[0].sequence, a->masterEpoch.load());
}

TEST_F(ElectionTest, LeavingHandsOverToTheNextWithAHigherEpoch) {
  auto a = candidate("a");
  ASSERT_TRUE(waitFor([&] { return a->masterCalls == 1; }));
  auto b = candidate("b");
  auto c = candidate("c");
  ASSERT_TRUE(waitFor([&] { return c->follows() == name(*b); }));
  const int64_t firstEpoch = a->masterEpoch;

  a->election->leave();
  ASSERT_TRUE(waitFor([&] { return b->masterCalls == 1; }));
  EXPECT_GT(b->masterEpoch.load(), firstEpoch);
  EXPECT_EQ(c->follows(), name(*b));
  EXPECT_EQ(c->masterCalls, 0);
  EXPECT_EQ(a->lost, 0) << "leaving is not losing";

  // A candidate that stands again goes to the back of the chain.
  a->election->join();
  ASSERT_TRUE(waitFor([&] { return a->follows() == name(*c); }));
  b->election->leave();
  ASSERT_TRUE(waitFor([&] { return c->masterCalls == 1; }));
  EXPECT_GT(c->masterEpoch.load(), b->masterEpoch.load());
}

TEST_F(ElectionTest, AnEarlyMasterIsToldOnTheClientsThreadFirstWithTheSameEpoch) {
  auto a = candidate("a");
  ASSERT_TRUE(waitFor([&] { return a->masterCalls == 1; }));
  auto b = candidate("b", 2000ms, true);
  ASSERT_TRUE(waitFor([&] { return b->follows() == name(*a); }));

  a->election->leave();
  // Once early (the client's thread), once from the dispatcher, both with the same epoch.
  ASSERT_TRUE(waitFor([&] { return b->masterCalls == 2; }));
  EXPECT_EQ(b->masterCallsOnDispatcher, 1);
  EXPECT_EQ(b->masterEpoch.load(), *b->election->epoch());
  EXPECT_TRUE(b->election->isMaster());
}

TEST_F(ElectionTest, AMiddleMemberLeavingDoesNotChangeTheMaster) {
  auto a = candidate("a");
  ASSERT_TRUE(waitFor([&] { return a->masterCalls == 1; }));
  auto b = candidate("b");
  auto c = candidate("c");
  ASSERT_TRUE(waitFor([&] { return c->follows() == name(*b); }));
  b->election->leave();
  ASSERT_TRUE(waitFor([&] { return c->follows() == name(*a); }));
  EXPECT_EQ(a->masterCalls, 1);
  EXPECT_EQ(c->masterCalls, 0);
}

TEST_F(ElectionTest, SessionExpiryOfTheMasterElectsTheNextAndTellsTheOldOne) {
  auto a = candidate("a");
  ASSERT_TRUE(waitFor([&] { return a->masterCalls == 1; }));
  auto b = candidate("b");
  ASSERT_TRUE(waitFor([&] { return b->follows() == name(*a); }));

  ASSERT_TRUE(sm::test::expireSession(hosts(), *a->session));
  ASSERT_TRUE(waitFor([&] { return b->masterCalls == 1; }, 15s));
  EXPECT_GT(b->masterEpoch.load(), a->masterEpoch.load());
  ASSERT_TRUE(waitFor([&] { return a->lost == 1; }, 15s));
  EXPECT_TRUE(a->lostForExpiry);
  EXPECT_FALSE(a->election->isMaster());

  // A new session can stand again, behind the new master.
  a->session = a->session->reopen();
  Election again(a->session, dir_, "a2", {});
  again.join();
  ASSERT_TRUE(waitFor([&] { return Election::members(*session_, dir_).size() == 2; }));
  EXPECT_EQ(Election::members(*session_, dir_).front().data, "b");
}

TEST_F(ElectionTest, EpochsOnlyGrowAcrossManyHandovers) {
  int64_t last = -1;
  auto current = candidate("0");
  for (int i = 1; i <= 10; ++i) {
    auto next = candidate(std::to_string(i));
    ASSERT_TRUE(waitFor([&] { return current->masterCalls == 1; }));
    EXPECT_GT(current->masterEpoch.load(), last);
    last = current->masterEpoch;
    current->election->leave();
    current = std::move(next);
  }
}

TEST_F(ElectionTest, AMasterCutOffIsSuspendedAndMasterAgainAfterReconnect) {
  auto a = candidate("a", 30s);
  ASSERT_TRUE(waitFor([&] { return a->masterCalls == 1; }));
  auto b = candidate("b", 30s);
  ASSERT_TRUE(waitFor([&] { return b->follows() == name(*a); }));

  server().server().stop();
  ASSERT_TRUE(waitFor([&] { return a->suspended == 1; }));
  EXPECT_FALSE(a->election->isMaster()) << "not sure while cut off";
  EXPECT_FALSE(a->election->epoch());
  EXPECT_EQ(b->suspended, 0) << "only a held place is suspended";
  // Destroying an election while cut off does not wait for the connection.
  const std::string nodeOfB = b->election->nodePath();
  const auto before = std::chrono::steady_clock::now();
  b->election.reset();
  EXPECT_LT(std::chrono::steady_clock::now() - before, 1s);

  server().server().start();
  ASSERT_TRUE(server().server().waitServing(60s)) << server().server().lastError();
  ASSERT_TRUE(waitFor([&] { return a->masterCalls == 2; }, 30s));
  EXPECT_EQ(a->election->epoch(), a->masterEpoch.load()) << "the same place, the same epoch";
  EXPECT_EQ(a->lost, 0);
  ASSERT_TRUE(waitFor([&] { return !a->session->exists(nodeOfB); }))
      << "the candidacy given up while cut off is withdrawn once reconnected";
  ASSERT_TRUE(waitFor([&] { return session_->connected() || !session_->usable(); }, 30s));
}

}  // namespace

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "manager/zk/lock.hpp"
#include "manager/zk/path.hpp"
#include "tests/support/wait_for.hpp"
#include "tests/support/zookeeper_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using sm::test::waitFor;
using namespace sm::zk;

class LockTest : public sm::test::ZooKeeperTest {
 protected:
  void SetUp() override {
    ZooKeeperTest::SetUp();
    dir_ = path("lock");
    session_->create(dir_, "");
  }
  std::string dir_;
};

TEST_F(LockTest, FiveContendersTwoHundredTimesEachNeverOverlap) {
  constexpr int kContenders = 5;
  constexpr int kRounds = 200;
  std::atomic<int> inside{0};
  std::atomic<int> overlaps{0};
  std::atomic<int> acquisitions{0};
  std::vector<std::thread> threads;
  for (int c = 0; c < kContenders; ++c) {
    threads.emplace_back([&, session = connect()] {
      for (int round = 0; round < kRounds; ++round) {
        Lock lock(session, dir_);
        if (!lock.acquire(30s)) {
          ADD_FAILURE() << "acquire timed out";
          return;
        }
        if (inside.fetch_add(1) != 0) ++overlaps;
        ++acquisitions;
        inside.fetch_sub(1);
        lock.release();
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(overlaps, 0);
  EXPECT_EQ(acquisitions, kContenders * kRounds);
  EXPECT_TRUE(session_->children(dir_)->empty()) << "no contender node is left behind";
}

TEST_F(LockTest, EachReleaseWakesExactlyOneWaiter) {
  constexpr size_t kWaiters = 20;
  auto holderSession = connect();
  auto holder = std::make_unique<Lock>(holderSession, dir_);
  ASSERT_TRUE(holder->acquire(5s));

  std::vector<std::shared_ptr<Session>> sessions;
  std::vector<std::unique_ptr<Lock>> waiters;
  std::vector<std::thread> threads;
  std::atomic<int> queued{0};
  for (size_t i = 0; i < kWaiters; ++i) {
    sessions.push_back(connect());
    waiters.push_back(std::make_unique<Lock>(sessions.back(), dir_));
  }
  // Queue in a known order, one after another.
  for (size_t i = 0; i < kWaiters; ++i) {
    threads.emplace_back([&, i] { EXPECT_TRUE(waiters[i]->acquire(60s)); });
    ASSERT_TRUE(waitFor([&] { return session_->children(dir_)->size() == i + 2; }));
  }
  uint64_t wakeupsOfReleased = 0;  // a released lock no longer counts its own
  auto totalWakeups = [&] {
    uint64_t sum = wakeupsOfReleased;
    for (auto& w : waiters) sum += w->wakeups();
    return sum;
  };
  EXPECT_EQ(totalWakeups(), 0u);

  holder->release();
  for (size_t i = 0; i < kWaiters; ++i) {
    ASSERT_TRUE(waitFor([&] { return waiters[i]->held(); })) << "waiter " << i;
    // Let any stray notification arrive before counting.
    for (auto& s : sessions) s->drain();
    EXPECT_EQ(totalWakeups(), i + 1) << "release " << i << " woke more than one waiter";
    for (size_t j = i + 1; j < kWaiters; ++j) EXPECT_FALSE(waiters[j]->held());
    threads[i].join();
    wakeupsOfReleased += waiters[i]->wakeups();
    waiters[i]->release();
  }
}

TEST_F(LockTest, ExpiringTheHoldersSessionHandsTheLockOnAndTellsTheOldHolder) {
  auto holderSession = connect();
  Lock holder(holderSession, dir_);
  std::atomic<int> lostCalls{0};
  std::atomic<bool> lostForExpiry{false};
  holder.onLost([&](LossReason reason) {
    ++lostCalls;
    lostForExpiry = reason == LossReason::SessionExpired;
  });
  ASSERT_TRUE(holder.acquire(5s));
  EXPECT_TRUE(holder.verifyHeld());

  Lock waiter(connect(), dir_);
  std::thread t([&] { EXPECT_TRUE(waiter.acquire(30s)); });
  ASSERT_TRUE(waitFor([&] { return session_->children(dir_)->size() == 2; }));

  ASSERT_TRUE(sm::test::expireSession(hosts(), *holderSession));
  t.join();
  EXPECT_TRUE(waiter.held());
  EXPECT_TRUE(waiter.verifyHeld());
  ASSERT_TRUE(waitFor([&] { return lostCalls == 1; }, 15s)) << "the old holder must be told";
  EXPECT_TRUE(lostForExpiry);
  EXPECT_FALSE(holder.held());
  EXPECT_FALSE(holder.verifyHeld());
}

TEST_F(LockTest, DestroyRemovesEveryContenderAndWaitersLearnIt) {
  Lock holder(connect(), dir_);
  ASSERT_TRUE(holder.acquire(5s));
  std::atomic<int> waiterOutcome{0};  // 1: told destroyed
  Lock waiter(connect(), dir_);
  std::thread t([&] {
    try {
      waiter.acquire(30s);
      waiterOutcome = 2;
    } catch (const LockDestroyed&) {
      waiterOutcome = 1;
    }
  });
  ASSERT_TRUE(waitFor([&] { return session_->children(dir_)->size() == 2; }));
  std::atomic<bool> holderToldDestroyed{false};
  holder.onLost([&](LossReason r) { holderToldDestroyed = r == LossReason::Destroyed; });

  EXPECT_TRUE(Lock::destroy(*session_, dir_));
  t.join();
  EXPECT_EQ(waiterOutcome, 1);
  EXPECT_FALSE(session_->exists(dir_));
  EXPECT_FALSE(Lock::destroy(*session_, dir_)) << "a lock already gone is fine";
  EXPECT_FALSE(holder.verifyHeld());

  Lock late(connect(), dir_);
  try {
    late.acquire(1s);
    FAIL() << "a destroyed lock is not re-created by a contender";
  } catch (const ZkError& e) {
    EXPECT_EQ(e.code(), Code::NoNode);
  }
}

TEST_F(LockTest, TimingOutGivesUpTheQueuePlace) {
  Lock holder(connect(), dir_);
  ASSERT_TRUE(holder.acquire(5s));
  Lock impatient(connect(), dir_);
  EXPECT_FALSE(impatient.acquire(300ms));
  EXPECT_FALSE(impatient.held());
  EXPECT_EQ(session_->children(dir_)->size(), 1u);
}

TEST_F(LockTest, NodeNamesCarryAUuidAndTheHolderIsTheLowest) {
  Lock::Options options;
  options.prefix = "lock-";
  options.data = R"({"host":"h1"})";
  Lock first(connect(), dir_, options);
  ASSERT_TRUE(first.acquire(5s));
  const std::string name(nodeName(first.nodePath()));
  // lock-<36-char uuid>-<10 digits>
  EXPECT_EQ(name.size(), 5u + 36u + 1u + 10u) << name;
  EXPECT_EQ(name.rfind("lock-", 0), 0u);
  EXPECT_EQ(session_->get(first.nodePath())->data, options.data);
}

TEST_F(LockTest, VerifyHeldFailsWhenTheNodeIsRemovedBehindOurBack) {
  Lock lock(connect(), dir_);
  ASSERT_TRUE(lock.acquire(5s));
  std::atomic<bool> told{false};
  lock.onLost([&](LossReason r) { told = r == LossReason::NodeRemoved; });
  session_->remove(lock.nodePath());
  EXPECT_FALSE(lock.verifyHeld());
}

}  // namespace

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

#include <gtest/gtest.h>

#include "manager/zk/path.hpp"
#include "manager/zk/queue_destroy.hpp"
#include "manager/zk/queue_member.hpp"
#include "tests/support/wait_for.hpp"
#include "tests/support/zookeeper_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using sm::test::waitFor;
using namespace sm::zk;
using State = QueueMember::State;

// One member with everything its listener reported.
struct Contender {
  std::shared_ptr<Session> session;
  std::shared_ptr<QueueMember> member;
  std::mutex mutex;
  std::vector<State> states;
  std::vector<LossReason> losses;
  std::atomic<int> positions{0};
  // onFirstEarly: how often, and whether it ever came on the dispatcher or after Held.
  std::atomic<int> firstEarly{0};
  std::atomic<bool> earlyOnDispatcher{false};
  std::atomic<bool> earlyAfterHeld{false};

  ~Contender() {
    // The listener points here: no callback may run once we are gone.
    if (member) member->abandon();
    if (session) session->drain();
  }

  std::vector<State> reported() {
    std::lock_guard lock(mutex);
    return states;
  }
  bool everReported(State state) {
    auto all = reported();
    return std::find(all.begin(), all.end(), state) != all.end();
  }
  std::vector<LossReason> lost() {
    std::lock_guard lock(mutex);
    return losses;
  }
};

class QueueMemberTest : public sm::test::ZooKeeperTest {
 protected:
  void SetUp() override {
    ZooKeeperTest::SetUp();
    dir_ = path("queue");
    session_->create(dir_, "");
  }

  // A member of `dir` on its own session, not yet entered.
  std::unique_ptr<Contender> contender(std::chrono::milliseconds sessionTimeout = 4000ms,
                                       const std::string& dir = "") {
    auto c = std::make_unique<Contender>();
    c->session = connect(sessionTimeout);
    // The session's own "connected" report would otherwise reach the member as a reconnect (one
    // more queue read than the counts below expect).
    c->session->drain();
    auto* raw = c.get();
    QueueMember::Listener listener;
    listener.onPosition = [raw](const QueueMember::Position&) { ++raw->positions; };
    listener.onState = [raw](State state) {
      std::lock_guard lock(raw->mutex);
      raw->states.push_back(state);
    };
    listener.onLost = [raw](LossReason reason) {
      std::lock_guard lock(raw->mutex);
      raw->losses.push_back(reason);
    };
    listener.onFirstEarly = [raw] {
      ++raw->firstEarly;
      if (raw->session->onDispatcherThread()) raw->earlyOnDispatcher = true;
      if (raw->everReported(State::Held)) raw->earlyAfterHeld = true;
    };
    c->member =
        QueueMember::make(c->session, dir.empty() ? dir_ : dir, "lock-", "", std::move(listener));
    return c;
  }
  std::unique_ptr<Contender> entered(std::chrono::milliseconds sessionTimeout = 4000ms) {
    auto c = contender(sessionTimeout);
    c->member->enter();
    return c;
  }
  // A member that holds the place (the queue was empty).
  std::unique_ptr<Contender> holder(std::chrono::milliseconds sessionTimeout = 4000ms) {
    auto c = entered(sessionTimeout);
    EXPECT_TRUE(waitFor([&] { return c->member->held(); }));
    return c;
  }
  // A holder and two members queued behind it, each having read its place.
  std::vector<std::unique_ptr<Contender>> threeInLine() {
    std::vector<std::unique_ptr<Contender>> line;
    line.push_back(holder());
    line.push_back(entered());
    line.push_back(entered());
    EXPECT_TRUE(waitFor([&] { return line[1]->positions == 1 && line[2]->positions == 1; }));
    return line;
  }
  // Stops the shared server, runs `whileDown`, and starts it again (same port and data, so the
  // sessions survive when their timeout is long enough).
  void withServerDown(const std::function<void()>& whileDown) {
    server().server().stop();
    whileDown();
    server().server().start();
    ASSERT_TRUE(server().server().waitServing(60s)) << server().server().lastError();
    // The fixture's own session cleans up after the test (unless its short timeout ran out).
    ASSERT_TRUE(waitFor([&] { return session_->connected() || !session_->usable(); }, 30s));
  }
  std::string dir_;
};

TEST_F(QueueMemberTest, TheLowestIsHeldTheOthersQueued) {
  auto a = holder();
  auto b = entered();
  ASSERT_TRUE(waitFor([&] { return b->positions == 1; }));
  EXPECT_EQ(b->member->state(), State::Queued);
  EXPECT_FALSE(b->member->held());
  EXPECT_EQ(a->reported(), std::vector<State>{State::Held});
  EXPECT_TRUE(b->reported().empty()) << "Queued from the start: no change to report";
  EXPECT_EQ(a->member->fence().kind, Op::Kind::Check);
  EXPECT_EQ(a->member->fence().path, a->member->nodePath());

  a->member->leave();
  EXPECT_EQ(a->member->state(), State::Lost) << "left: no longer ours";
  ASSERT_TRUE(waitFor([&] { return b->member->held(); }));
  EXPECT_TRUE(a->lost().empty()) << "leaving is not losing";
}

TEST_F(QueueMemberTest, TheSecondIsHeldWithoutReadingTheQueueWhenTheLowestLeaves) {
  auto line = threeInLine();
  auto &a = line[0], &b = line[1], &c = line[2];
  const auto readsOfB = b->member->positionReads();
  const auto readsOfC = c->member->positionReads();

  a->member->leave();
  ASSERT_TRUE(waitFor([&] { return b->member->held(); }));
  EXPECT_EQ(b->member->positionReads(), readsOfB) << "the fast path reads nothing";
  EXPECT_EQ(b->member->wakeups(), 1u);
  c->session->sync(dir_);
  c->session->drain();
  EXPECT_EQ(c->member->wakeups(), 0u) << "no herd";
  EXPECT_EQ(c->member->positionReads(), readsOfC);
  EXPECT_EQ(b->firstEarly, 1) << "told on the client's thread, ahead of onState(Held)";
  EXPECT_FALSE(b->earlyOnDispatcher);
  EXPECT_FALSE(b->earlyAfterHeld);
  EXPECT_EQ(c->firstEarly, 0);
  EXPECT_EQ(a->member->heldThrough(), 0u) << "a read of the queue made it first";
  EXPECT_NE(b->member->heldThrough(), 0u) << "an event did";
  EXPECT_EQ(b->member->heldThrough(), b->session->connection());

  // The third last read itself at index 2 (it was not woken when the first left), so it reads
  // the queue once when the second leaves.
  b->member->leave();
  ASSERT_TRUE(waitFor([&] { return c->member->held(); }));
  EXPECT_EQ(c->member->positionReads(), readsOfC + 1);
  EXPECT_EQ(c->member->heldThrough(), 0u) << "that read made it first";
}

TEST_F(QueueMemberTest, AHolderToldByAnEventOverAConnectionSinceReplacedLearnsAgainByARead) {
  auto a = holder(30s);
  auto b = entered(30s);
  ASSERT_TRUE(waitFor([&] { return b->positions == 1; }));
  a->member->leave();
  ASSERT_TRUE(waitFor([&] { return b->member->held(); }));
  const auto before = b->session->connection();
  ASSERT_EQ(b->member->heldThrough(), before);

  withServerDown([&] { ASSERT_TRUE(waitFor([&] { return !b->member->held(); })); });
  ASSERT_TRUE(waitFor([&] { return b->member->held(); }, 30s));
  EXPECT_GT(b->session->connection(), before) << "a new connection is counted";
  EXPECT_EQ(b->member->heldThrough(), 0u) << "sure again by reading the queue";
}

TEST_F(QueueMemberTest, AThirdToldItsPredecessorIsFirstTakesTheFastPathToo) {
  auto line = threeInLine();
  auto &a = line[0], &b = line[1], &c = line[2];
  a->member->leave();
  ASSERT_TRUE(waitFor([&] { return b->member->held(); }));
  const auto readsOfC = c->member->positionReads();

  // Somebody else's read (the daemon's cache of the tree) found b first: c's index is 1 now.
  c->member->noteFirst(std::string(nodeName(a->member->nodePath())));  // a has gone: not c's predecessor
  c->member->noteFirst(std::string(nodeName(b->member->nodePath())));
  b->member->leave();
  ASSERT_TRUE(waitFor([&] { return c->member->held(); }));
  EXPECT_EQ(c->member->positionReads(), readsOfC) << "told, c needs no read";
  EXPECT_EQ(c->member->wakeups(), 1u);
}

TEST_F(QueueMemberTest, ANoteOfAnotherFirstLeavesTheMemberReadingTheQueue) {
  auto line = threeInLine();
  auto &a = line[0], &b = line[1], &c = line[2];
  const auto readsOfC = c->member->positionReads();
  // a is first, but c waits on b: b's going does not make c first.
  c->member->noteFirst(std::string(nodeName(a->member->nodePath())));
  b->member->leave();
  ASSERT_TRUE(waitFor([&] { return c->positions == 2; }));
  EXPECT_EQ(c->member->positionReads(), readsOfC + 1);
  EXPECT_EQ(c->member->state(), State::Queued);
  EXPECT_TRUE(a->member->held());
  EXPECT_EQ(c->firstEarly, 0) << "the slow path tells nothing early";
}

TEST_F(QueueMemberTest, AMiddleMemberLeavingIsReadAgain) {
  auto line = threeInLine();
  auto &a = line[0], &b = line[1], &c = line[2];
  const auto readsOfC = c->member->positionReads();

  b->member->leave();
  ASSERT_TRUE(waitFor([&] { return c->positions == 2; }));
  EXPECT_GT(c->member->positionReads(), readsOfC) << "not the lowest: the queue is read again";
  EXPECT_EQ(c->member->state(), State::Queued);
  EXPECT_TRUE(a->member->held());
}

TEST_F(QueueMemberTest, APredecessorGoneWhenWatchedLeavesNoWatchBehind) {
  auto a = holder();
  auto b = entered();
  ASSERT_TRUE(waitFor([&] { return b->positions == 1; }));

  // c reads the queue, then b goes before c can watch it.
  auto c = contender();
  std::atomic<int> hooks{0};
  const std::string goneFirst = b->member->nodePath();
  c->member->beforeWatchingPredecessor([&](const std::string& predecessor) {
    if (hooks++ == 0) {
      EXPECT_EQ(predecessor, goneFirst);
      b->member->leave();
    }
  });
  c->member->enter();
  ASSERT_TRUE(waitFor([&] { return c->positions == 1; }));
  EXPECT_EQ(c->member->predecessorsGoneWhenWatched(), 1u);
  EXPECT_EQ(hooks, 2) << "the queue was read again and the next predecessor watched";
  EXPECT_EQ(c->member->positionReads(), 2u);

  // With exists() a watch would be left on the gone node and fire when the name came back.
  session_->create(goneFirst, "");
  c->session->sync(dir_);  // the server sends any notification before this answer
  c->session->drain();
  EXPECT_EQ(c->member->wakeups(), 0u);
}

TEST_F(QueueMemberTest, AHeldPlaceIsSuspendedWhileDisconnectedAndHeldAgainAfterReconnect) {
  auto a = holder(30s);
  withServerDown([&] {
    ASSERT_TRUE(waitFor([&] { return a->member->state() == State::Suspended; }));
    EXPECT_FALSE(a->member->held());
    EXPECT_TRUE(a->member->active());
  });
  ASSERT_TRUE(waitFor([&] { return a->member->held(); }, 30s));
  EXPECT_EQ(a->reported(), (std::vector<State>{State::Held, State::Suspended, State::Held}));
  EXPECT_TRUE(a->lost().empty());
}

TEST_F(QueueMemberTest, AnExpiredSessionLosesThePlaceForGood) {
  auto a = holder();
  auto b = entered();
  ASSERT_TRUE(waitFor([&] { return b->positions == 1; }));

  ASSERT_TRUE(sm::test::expireSession(hosts(), *a->session));
  ASSERT_TRUE(waitFor([&] { return a->member->state() == State::Lost; }, 15s));
  EXPECT_FALSE(a->member->held());
  EXPECT_FALSE(a->member->active());
  EXPECT_EQ(a->lost(), std::vector<LossReason>{LossReason::SessionExpired});
  EXPECT_EQ(a->reported().back(), State::Lost);
  ASSERT_TRUE(waitFor([&] { return b->member->held(); }, 15s));
}

TEST_F(QueueMemberTest, LeavingWhileDisconnectedReturnsAtOnceAndDeletesOnReconnect) {
  auto a = holder(30s);
  const std::string node = a->member->nodePath();
  withServerDown([&] {
    ASSERT_TRUE(waitFor([&] { return a->session->state() == SessionState::Connecting; }));
    const auto before = std::chrono::steady_clock::now();
    a->member->leave();
    EXPECT_LT(std::chrono::steady_clock::now() - before, 1s);
    EXPECT_EQ(a->session->state(), SessionState::Connecting) << "returned while still cut off";
  });
  ASSERT_TRUE(a->session->waitConnected(30s));
  auto observer = connect(30s);
  ASSERT_TRUE(waitFor([&] { return !observer->exists(node); }, 10s))
      << "deleted once the session reconnected, while it lives on";
  EXPECT_EQ(a->session->state(), SessionState::Connected);
}

TEST_F(QueueMemberTest, TheFenceFailsAMultiOnceTheNodeIsGone) {
  auto a = holder();
  const std::string guarded = path("guarded");
  session_->create(guarded, "0");
  a->session->multi({a->member->fence(), Op::set(guarded, "1")});
  EXPECT_EQ(session_->get(guarded)->data, "1");

  session_->remove(a->member->nodePath());
  try {
    a->session->multi({a->member->fence(), Op::set(guarded, "2")});
    FAIL() << "a holder without its node must not write";
  } catch (const MultiError& e) {
    EXPECT_EQ(e.failedIndex(), 0u);
    EXPECT_EQ(e.code(), Code::NoNode);
  }
  EXPECT_EQ(session_->get(guarded)->data, "1");
  ASSERT_TRUE(waitFor([&] { return !a->lost().empty(); }));
  EXPECT_EQ(a->lost().front(), LossReason::NodeRemoved);
}

TEST_F(QueueMemberTest, DestroyingTheQueueTellsEveryMemberAndNoneTakesItForHeld) {
  auto line = threeInLine();
  auto &a = line[0], &b = line[1], &c = line[2];

  EXPECT_TRUE(destroyQueue(*session_, dir_));
  EXPECT_FALSE(session_->exists(dir_));
  for (auto* m : {a.get(), b.get(), c.get()}) {
    ASSERT_TRUE(waitFor([&] { return !m->lost().empty(); }));
    EXPECT_EQ(m->lost().front(), LossReason::Destroyed);
    EXPECT_EQ(m->member->state(), State::Lost);
  }
  EXPECT_FALSE(b->everReported(State::Held)) << "the second must not take the destroy for a leave";
  EXPECT_EQ(b->firstEarly, 0) << "nor early, on the client's thread";
  EXPECT_FALSE(destroyQueue(*session_, dir_)) << "a queue already gone";
}

TEST_F(QueueMemberTest, EnterAllMakesEveryPlaceAtOnceAndLeavesOutAQueueThatIsGone) {
  const auto other = path("other");
  session_->create(other, "");
  auto waiting = holder();  // dir_ is held: the member entering it queues behind
  // The members all on one session, as enterAll asks.
  auto session = connect();
  session->drain();
  auto member = [&](const std::string& dir) {
    return QueueMember::make(session, dir, "lock-", "", QueueMember::Listener{});
  };
  auto a = member(dir_);
  auto b = member(other);

  EXPECT_EQ(QueueMember::enterAll({a, b}), (std::vector<bool>{true, true}));
  EXPECT_TRUE(waitFor([&] { return b->held(); }));
  EXPECT_EQ(a->state(), State::Queued);
  EXPECT_EQ(session_->children(dir_)->size(), 2u);
  EXPECT_EQ(session_->exists(a->nodePath())->ephemeralOwner, session->id());
  waiting->member->leave();
  EXPECT_TRUE(waitFor([&] { return a->held(); }));
  a->leave();
  b->leave();

  // One queue gone: nothing of that multi() was made, and the others enter one by one.
  a = member(dir_);
  b = member(other);
  auto gone = member(path("gone"));
  EXPECT_EQ(QueueMember::enterAll({a, gone, b}), (std::vector<bool>{true, false, true}));
  EXPECT_FALSE(gone->active());
  EXPECT_TRUE(waitFor([&] { return a->held() && b->held(); }));
  EXPECT_EQ(session_->children(dir_)->size(), 1u);
  EXPECT_EQ(session_->children(other)->size(), 1u);
  a->leave();
  b->leave();
  session->drain();
}

TEST(QueueRemovalOps, RemoveTheHighestSequenceFirstWhateverTheNamesThenTheDirectory) {
  // By name the uuids would put the master (sequence 1) first; by sequence it goes last.
  const auto ops = queueRemovalOps(
      "/q", {"lock-aaaa-0000000001", "lock-bbbb-0000000003", "lock-cccc-0000000002"});
  std::vector<std::string> paths;
  for (const auto& op : ops) {
    EXPECT_EQ(op.kind, Op::Kind::Remove);
    paths.push_back(op.path);
  }
  EXPECT_EQ(paths, (std::vector<std::string>{"/q/lock-bbbb-0000000003", "/q/lock-cccc-0000000002",
                                             "/q/lock-aaaa-0000000001", "/q"}));
}

TEST_F(QueueMemberTest, AFencedDestroyNeedsTheCallersOwnLock) {
  // The caller holds a lock elsewhere and destroys this queue only while it does.
  const std::string lockDir = path("lock");
  session_->create(lockDir, "");
  auto caller = contender(4000ms, lockDir);
  caller->member->enter();
  ASSERT_TRUE(waitFor([&] { return caller->member->held(); }));
  auto a = holder();

  EXPECT_TRUE(destroyQueue(*caller->session, dir_, caller->member->fence()));
  EXPECT_FALSE(session_->exists(dir_));

  session_->create(dir_, "");
  session_->remove(caller->member->nodePath());  // the caller lost its lock
  try {
    destroyQueue(*caller->session, dir_, caller->member->fence());
    FAIL() << "a fenced destroy without the lock must fail";
  } catch (const MultiError& e) {
    EXPECT_EQ(e.failedIndex(), 0u);
  }
  EXPECT_TRUE(session_->exists(dir_)) << "nothing was removed";
}

}  // namespace

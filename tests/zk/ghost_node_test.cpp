#include <gtest/gtest.h>

#include "manager/zk/lock.hpp"
#include "manager/zk/path.hpp"
#include "manager/zk/queue_member.hpp"
#include "tests/support/reply_dropping_proxy.hpp"
#include "tests/support/wait_for.hpp"
#include "tests/support/zookeeper_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using namespace sm::zk;

class GhostNodeTest : public sm::test::ZooKeeperTest {
 protected:
  // A session that talks through the proxy first and, once the proxy cuts it, to the server.
  std::shared_ptr<Session> connectThrough(const sm::test::ReplyDroppingProxy& proxy) {
    setDeterministicConnectOrder(true);
    SessionOptions options;
    options.hosts = "127.0.0.1:" + std::to_string(proxy.port()) + "," + hosts();
    options.sessionTimeout = 10s;
    auto session = Session::connect(options);
    setDeterministicConnectOrder(false);
    EXPECT_EQ(session->connectedHost(), "127.0.0.1:" + std::to_string(proxy.port()));
    return session;
  }
};

TEST_F(GhostNodeTest, ACreateWhoseAnswerIsLostFindsItsOwnNodeInsteadOfMakingAnother) {
  sm::test::ReplyDroppingProxy proxy(server().port());
  auto session = connectThrough(proxy);

  const std::string dir = path("lock");
  session_->create(dir, "");
  auto member = QueueMember::make(session, dir, "lock-", "", {});
  proxy.dropNextReplyThenDisconnect();
  member->enter();

  EXPECT_EQ(proxy.droppedReplies(), 1) << "the create's answer was lost";
  EXPECT_EQ(member->createRetries(), 1u);
  EXPECT_EQ(member->adoptedAfterRetry(), 1u) << "the node the lost create made was found";
  auto children = session_->children(dir);
  ASSERT_EQ(children->size(), 1u) << "no ghost node";
  EXPECT_EQ(childPath(dir, children->front()), member->nodePath());
  EXPECT_EQ(session_->exists(member->nodePath())->ephemeralOwner, session->id());
  member->leave();
  EXPECT_TRUE(session_->children(dir)->empty());
}

TEST_F(GhostNodeTest, PlacesEnteredTogetherWhoseAnswerIsLostAreEachFoundNotMadeAgain) {
  sm::test::ReplyDroppingProxy proxy(server().port());
  auto session = connectThrough(proxy);

  const std::string first = path("first");
  const std::string second = path("second");
  session_->create(first, "");
  session_->create(second, "");
  auto a = QueueMember::make(session, first, "lock-", "", {});
  auto b = QueueMember::make(session, second, "lock-", "", {});
  proxy.dropNextReplyThenDisconnect();
  EXPECT_EQ(QueueMember::enterAll({a, b}), (std::vector<bool>{true, true}));

  EXPECT_EQ(proxy.droppedReplies(), 1) << "the multi's answer was lost";
  for (const auto& [member, dir] : {std::pair{a, first}, std::pair{b, second}}) {
    EXPECT_EQ(member->createRetries(), 1u);
    EXPECT_EQ(member->adoptedAfterRetry(), 1u) << "the node the lost multi made was found";
    auto children = session_->children(dir);
    ASSERT_EQ(children->size(), 1u) << "no ghost node in " << dir;
    EXPECT_EQ(childPath(dir, children->front()), member->nodePath());
    member->leave();
  }
  EXPECT_TRUE(session_->children(first)->empty());
  EXPECT_TRUE(session_->children(second)->empty());
}

TEST_F(GhostNodeTest, ALockAcquiredAcrossALostAnswerIsHeldOnce) {
  sm::test::ReplyDroppingProxy proxy(server().port());
  auto session = connectThrough(proxy);

  const std::string dir = path("lock");
  session_->create(dir, "");
  Lock lock(session, dir);
  proxy.dropNextReplyThenDisconnect();
  ASSERT_TRUE(lock.acquire(10s));
  EXPECT_TRUE(lock.verifyHeld());
  EXPECT_EQ(session_->children(dir)->size(), 1u);
}

}  // namespace

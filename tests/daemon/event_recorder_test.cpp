// EventRecorder against a real server: queued events are written in order with their host and
// time, several to a node, the queue is bounded (the oldest go), a lost connection keeps them for
// later, and a removed events/ is made again.
#include <gtest/gtest.h>

#include "config/event_data.hpp"
#include "config/layout.hpp"
#include "manager/daemon/event_recorder.hpp"
#include "manager/zk/path.hpp"
#include "manager/zk/sequential_name.hpp"
#include "tests/support/zookeeper_fixture.hpp"

namespace sm::test {
namespace {

class EventRecorderTest : public ZooKeeperTest {
 protected:
  void SetUp() override {
    ZooKeeperTest::SetUp();
    session_->ensurePath(layout().eventsDir());
  }
  config::Layout layout() const { return config::Layout(path("fed")); }

  // The events on the server, oldest first.
  std::vector<config::EventData> written() {
    std::vector<config::EventData> out;
    const auto dir = layout().eventsDir();
    for (const auto& e : zk::queueOrder(*session_->children(dir), "event-")) {
      const auto path = zk::childPath(dir, e.name);
      auto decoded = config::decodeEvents(session_->get(path)->data, path);
      EXPECT_TRUE(decoded) << decoded.errorText();
      if (decoded) out.insert(out.end(), decoded.value().begin(), decoded.value().end());
    }
    return out;
  }

  static void recordMany(daemon::EventRecorder& recorder, int count) {
    for (int i = 0; i < count; ++i) {
      recorder.record("started", "Demo", 0, "", "e" + std::to_string(i));
    }
  }
};

TEST_F(EventRecorderTest, WritesEverythingQueuedInOrder) {
  daemon::EventRecorder recorder("h1");
  recordMany(recorder, 250);
  // Four batches of 100 at most per flush: all 250 in one, 25 to a node.
  EXPECT_EQ(recorder.flush(*session_, layout()), 250u);
  EXPECT_EQ(recorder.pending(), 0u);
  EXPECT_EQ(session_->children(layout().eventsDir())->size(), 10u);
  const auto events = written();
  ASSERT_EQ(events.size(), 250u);
  EXPECT_EQ(events.front().message, "e0");
  EXPECT_EQ(events.back().message, "e249");
  EXPECT_EQ(events.front().host, "h1");
  EXPECT_GT(events.front().time, 0);
  EXPECT_EQ(events.front().logical, 0);
  EXPECT_EQ(recorder.flush(*session_, layout()), 0u);
}

TEST_F(EventRecorderTest, TheQueueIsBoundedAndDropsTheOldest) {
  daemon::EventRecorder recorder("h1", 10);
  recordMany(recorder, 25);
  EXPECT_EQ(recorder.pending(), 10u);
  EXPECT_EQ(recorder.dropped(), 15u);
  EXPECT_EQ(recorder.flush(*session_, layout()), 10u);
  const auto events = written();
  ASSERT_EQ(events.size(), 10u);
  EXPECT_EQ(events.front().message, "e15");
}

TEST_F(EventRecorderTest, KeepsEventsWhileDisconnectedAndRemakesEventsDir) {
  daemon::EventRecorder recorder("h1");
  recordMany(recorder, 3);
  auto closed = connect();
  closed->close();
  EXPECT_EQ(recorder.flush(*closed, layout()), 0u);
  EXPECT_EQ(recorder.pending(), 3u);

  session_->remove(layout().eventsDir());
  EXPECT_EQ(recorder.flush(*session_, layout()), 0u);  // made again; written next time
  EXPECT_EQ(recorder.flush(*session_, layout()), 3u);
  EXPECT_EQ(written().size(), 3u);
}

TEST_F(EventRecorderTest, EventsTheServerRefusesAreDroppedAndCounted) {
  daemon::EventRecorder recorder("h1");
  recordMany(recorder, 4);
  session_->ensurePath(layout().eventsDir());
  // Read and admin only: no create below it, and the test may open it again.
  session_->setAcl(layout().eventsDir(),
                   {zk::Acl{zk::perm::Read | zk::perm::Admin, "world", "anyone"}});
  EXPECT_EQ(recorder.flush(*session_, layout()), 0u);
  EXPECT_EQ(recorder.dropped(), 4u);  // refused for good: not retried for ever
  EXPECT_EQ(recorder.written(), 0u);
  EXPECT_EQ(recorder.pending(), 0u);
  session_->setAcl(layout().eventsDir(), zk::openAcl());
}

TEST_F(EventRecorderTest, LongMessagesAreShortened) {
  daemon::EventRecorder recorder("h1");
  recorder.record("exited", "Demo", 0, "", std::string(100000, 'x'));
  EXPECT_EQ(recorder.flush(*session_, layout()), 1u);
  EXPECT_LE(written().front().message.size(), 1100u);
}

}  // namespace
}  // namespace sm::test

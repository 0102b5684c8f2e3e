// LoopInbox: events never wait; a pass asked for "soon" waits for the burst of changes to settle.
#include "manager/daemon/loop_inbox.hpp"

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;
using sm::daemon::ElectionEvent;
using sm::daemon::LoopInbox;
using Clock = std::chrono::steady_clock;

// Far enough that a wait ending there means the inbox did not answer by itself.
Clock::time_point farAway() { return Clock::now() + 1h; }

ElectionEvent master() { return ElectionEvent{"u1", 1, ElectionEvent::Kind::Master, 7}; }

TEST(LoopInbox, TheFirstWaitAsksForAPass) {
  LoopInbox inbox;
  auto batch = inbox.wait(farAway());
  EXPECT_TRUE(batch.passWanted) << "a new loop reads the tree once";
  EXPECT_TRUE(batch.events.empty());
}

TEST(LoopInbox, AnEventIsTakenAtOnceWhileASoonPassSettles) {
  LoopInbox inbox(1h);
  inbox.wait(farAway());
  inbox.wakeSoon();
  inbox.post(master());
  auto batch = inbox.wait(farAway());
  ASSERT_EQ(batch.events.size(), 1u);
  EXPECT_FALSE(batch.passWanted) << "the pass waits for the changes to settle";
}

TEST(LoopInbox, ASoonPassComesOnceSettled) {
  LoopInbox inbox(1ms);
  inbox.wait(farAway());
  inbox.wakeSoon();
  inbox.wakeSoon();
  auto batch = inbox.wait(farAway());
  EXPECT_TRUE(batch.passWanted);
  EXPECT_TRUE(batch.events.empty());
  // Both asked for the same pass: none is left pending.
  inbox.post(master());
  EXPECT_FALSE(inbox.wait(farAway()).passWanted);
}

TEST(LoopInbox, APassServesTheSoonPassPendingBeforeIt) {
  LoopInbox inbox(1h);
  inbox.wait(farAway());
  inbox.wakeSoon();
  inbox.wake();
  EXPECT_TRUE(inbox.wait(farAway()).passWanted) << "wake() is now";
  inbox.post(master());
  auto batch = inbox.wait(Clock::now() + 50ms);
  EXPECT_EQ(batch.events.size(), 1u);
  EXPECT_FALSE(batch.passWanted) << "the pass read the change the soon pass was for";
}

TEST(LoopInbox, ADueTimerAsksForAPass) {
  LoopInbox inbox(1h);
  inbox.wait(farAway());
  inbox.wakeSoon();
  EXPECT_TRUE(inbox.wait(Clock::now() + 5ms).passWanted);
}

TEST(LoopInbox, AWakeAtReturnsWithoutAskingForAPass) {
  LoopInbox inbox(1h);
  inbox.wait(farAway());
  const auto started = Clock::now();
  auto batch = inbox.wait(farAway(), started + 5ms);
  EXPECT_GE(Clock::now(), started + 5ms);
  EXPECT_TRUE(batch.events.empty());
  EXPECT_FALSE(batch.passWanted);
}

TEST(LoopInbox, AnotherThreadsPostEndsTheWait) {
  LoopInbox inbox;
  inbox.wait(farAway());
  std::thread poster([&] { inbox.post(master()); });
  auto batch = inbox.wait(farAway());
  poster.join();
  ASSERT_EQ(batch.events.size(), 1u);
  EXPECT_EQ(std::get<ElectionEvent>(batch.events.front()).epoch, 7);
}

TEST(LoopInbox, AStopEndsTheWait) {
  LoopInbox inbox;
  inbox.wait(farAway());
  std::thread stopper([&] { inbox.requestStop(); });
  inbox.wait(std::nullopt);
  stopper.join();
  EXPECT_TRUE(inbox.stopping());
}

}  // namespace

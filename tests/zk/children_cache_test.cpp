#include <atomic>
#include <mutex>
#include <vector>

#include <gtest/gtest.h>

#include "manager/zk/children_cache.hpp"
#include "tests/support/wait_for.hpp"
#include "tests/support/zookeeper_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using sm::test::waitFor;
using namespace sm::zk;

class ChildrenCacheTest : public sm::test::ZooKeeperTest {
 protected:
  struct Seen {
    std::mutex mutex;
    std::vector<ChildrenCache::Change> changes;
    size_t count() {
      std::lock_guard lock(mutex);
      return changes.size();
    }
    ChildrenCache::Change last() {
      std::lock_guard lock(mutex);
      return changes.back();
    }
  };

  std::shared_ptr<ChildrenCache> watch(const std::string& p, Seen& seen,
                                       std::shared_ptr<Session> session = nullptr) {
    auto cache = ChildrenCache::make(
        session ? session : session_, p,
        [&seen](const ChildrenCache::Snapshot&, const ChildrenCache::Change& c) {
          std::lock_guard lock(seen.mutex);
          seen.changes.push_back(c);
        });
    cache->start();
    return cache;
  }
};

TEST_F(ChildrenCacheTest, ReportsAddsUpdatesAndRemovals) {
  session_->create(path("dir"), "");
  session_->create(path("dir/a"), "1");
  Seen seen;
  auto cache = watch(path("dir"), seen);
  ASSERT_TRUE(waitFor([&] { return seen.count() == 1; }));
  EXPECT_EQ(seen.last().added, std::vector<std::string>{"a"});

  session_->create(path("dir/b"), "2");
  ASSERT_TRUE(waitFor([&] { return seen.count() == 2; }));
  EXPECT_EQ(seen.last().added, std::vector<std::string>{"b"});

  session_->set(path("dir/a"), "1b");
  ASSERT_TRUE(waitFor([&] { return seen.count() == 3; }));
  EXPECT_EQ(seen.last().updated, std::vector<std::string>{"a"});
  EXPECT_EQ(cache->snapshot().at("a").data, "1b");

  session_->remove(path("dir/b"));
  ASSERT_TRUE(waitFor([&] { return seen.count() == 4; }));
  EXPECT_EQ(seen.last().removed, std::vector<std::string>{"b"});
  EXPECT_EQ(cache->snapshot().size(), 1u);
}

TEST_F(ChildrenCacheTest, FollowsANodeThatAppearsLaterAndDisappears) {
  Seen seen;
  auto cache = watch(path("later"), seen);
  ASSERT_TRUE(waitFor([&] { return cache->rereads() >= 1; }));
  EXPECT_FALSE(cache->exists());
  session_->create(path("later"), "");
  session_->create(path("later/x"), "");
  ASSERT_TRUE(waitFor([&] { return cache->snapshot().count("x") == 1; }));
  EXPECT_TRUE(cache->exists());
  session_->removeRecursive(path("later"));
  ASSERT_TRUE(waitFor([&] { return cache->snapshot().empty() && !cache->exists(); }));
}

TEST_F(ChildrenCacheTest, ChangesMadeWhileDisconnectedAppearAfterReconnect) {
  session_->create(path("dir"), "");
  session_->create(path("dir/a"), "1");
  session_->create(path("dir/b"), "1");
  auto watcherSession = connect(20000ms);
  Seen seen;
  auto cache = watch(path("dir"), seen, watcherSession);
  ASSERT_TRUE(waitFor([&] { return cache->snapshot().size() == 2; }));

  server().stop();
  ASSERT_TRUE(waitFor([&] { return watcherSession->state() == SessionState::Connecting; }));
  server().restart();
  // The cache's session is still reconnecting; the writer's is new.
  auto writer = connect();
  writer->remove(path("dir/a"));
  writer->set(path("dir/b"), "2");
  writer->create(path("dir/c"), "1");

  ASSERT_TRUE(waitFor([&] { return watcherSession->connected(); }, 20s));
  ASSERT_TRUE(waitFor(
      [&] {
        auto snapshot = cache->snapshot();
        return snapshot.size() == 2 && snapshot.count("b") && snapshot.at("b").data == "2" &&
               snapshot.count("c");
      },
      10s));
  session_ = connect();  // the fixture's own session may not have survived the restart
}

TEST_F(ChildrenCacheTest, WithoutDataReadsOnlyNames) {
  session_->create(path("dir"), "");
  session_->create(path("dir/a"), "payload");
  Seen seen;
  auto cache = ChildrenCache::make(
      session_, path("dir"),
      [&seen](const ChildrenCache::Snapshot&, const ChildrenCache::Change& c) {
        std::lock_guard lock(seen.mutex);
        seen.changes.push_back(c);
      },
      ChildrenCache::Options{.withData = false});
  cache->start();
  ASSERT_TRUE(waitFor([&] { return seen.count() == 1; }));
  EXPECT_EQ(cache->snapshot().at("a").data, "");
  cache->stop();
  session_->create(path("dir/b"), "");
  session_->sync(path("dir"));
  session_->drain();
  EXPECT_EQ(seen.count(), 1u) << "a stopped cache reports nothing";
}

}  // namespace

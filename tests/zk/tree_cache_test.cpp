#include "manager/zk/tree_cache.hpp"

#include <algorithm>
#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/wait_for.hpp"
#include "tests/support/zookeeper_fixture.hpp"

namespace {

using namespace std::chrono_literals;
using sm::test::waitFor;
using namespace sm::zk;
using Names = std::vector<std::string>;

// The cache reads through its own session; the fixture's session_ plays "another session" that
// changes the tree.
class TreeCacheTest : public sm::test::ZooKeeperTest {
 protected:
  void SetUp() override {
    ZooKeeperTest::SetUp();
    reader_ = connect();
    wakes_ = std::make_shared<std::atomic<int>>(0);
    cache_ = std::make_unique<TreeCache>(reader_, [wakes = wakes_] { ++*wakes; });
  }
  void TearDown() override {
    cache_.reset();
    reader_->drain();
    reader_.reset();
    ZooKeeperTest::TearDown();
  }

  int wakes() const { return wakes_->load(); }
  std::optional<std::string> data(const std::string& p) {
    auto node = cache_->get(p);
    if (!node) return std::nullopt;
    return node->data;
  }
  static Names sorted(std::optional<Names> names) {
    EXPECT_TRUE(names.has_value());
    if (!names) return {};
    std::sort(names->begin(), names->end());
    return *names;
  }

  std::shared_ptr<Session> reader_;
  std::shared_ptr<std::atomic<int>> wakes_;
  std::unique_ptr<TreeCache> cache_;
};

TEST_F(TreeCacheTest, ASecondReadOfAnUnchangedNodeAsksNoServer) {
  session_->create(path("a"), "v1");
  session_->create(path("a/x"), "");
  EXPECT_EQ(cache_->serverReads(), 0u);

  EXPECT_EQ(data(path("a")), "v1");
  EXPECT_EQ(cache_->serverReads(), 1u);
  EXPECT_EQ(data(path("a")), "v1");
  EXPECT_EQ(cache_->serverReads(), 1u);

  EXPECT_EQ(sorted(cache_->children(path("a"))), (Names{"x"}));
  EXPECT_EQ(cache_->serverReads(), 2u);
  EXPECT_EQ(sorted(cache_->children(path("a"))), (Names{"x"}));
  EXPECT_EQ(cache_->serverReads(), 2u);

  // The cached node keeps its stat too.
  const auto first = cache_->get(path("a"));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->stat.version, 0);
  EXPECT_EQ(cache_->serverReads(), 2u);
  EXPECT_EQ(cache_->size(), 1u);
  EXPECT_EQ(wakes(), 0);
}

TEST_F(TreeCacheTest, ADataChangeByAnotherSessionWakesAndTheNextReadSeesIt) {
  session_->create(path("a"), "v1");
  EXPECT_EQ(data(path("a")), "v1");
  const auto reads = cache_->serverReads();

  session_->set(path("a"), "v2");
  ASSERT_TRUE(waitFor([&] { return wakes() >= 1; }));
  EXPECT_EQ(data(path("a")), "v2");
  EXPECT_EQ(cache_->serverReads(), reads + 1);
  // Re-armed: the new value is cached in turn.
  EXPECT_EQ(data(path("a")), "v2");
  EXPECT_EQ(cache_->serverReads(), reads + 1);
}

TEST_F(TreeCacheTest, AChildAddedByAnotherSessionWakesAndTheNextListingShowsIt) {
  session_->create(path("dir"), "");
  session_->create(path("dir/a"), "");
  EXPECT_EQ(sorted(cache_->children(path("dir"))), (Names{"a"}));
  const auto reads = cache_->serverReads();

  session_->create(path("dir/b"), "");
  ASSERT_TRUE(waitFor([&] { return wakes() >= 1; }));
  EXPECT_EQ(sorted(cache_->children(path("dir"))), (Names{"a", "b"}));
  EXPECT_EQ(cache_->serverReads(), reads + 1);

  session_->remove(path("dir/a"));
  ASSERT_TRUE(waitFor([&] { return wakes() >= 2; }));
  EXPECT_EQ(sorted(cache_->children(path("dir"))), (Names{"b"}));
  EXPECT_EQ(cache_->serverReads(), reads + 2);
}

TEST_F(TreeCacheTest, ADeletionWakesAndTheNextReadSeesTheNodeGone) {
  session_->create(path("a"), "v1");
  EXPECT_EQ(data(path("a")), "v1");
  session_->remove(path("a"));
  ASSERT_TRUE(waitFor([&] { return wakes() >= 1; }));
  EXPECT_EQ(data(path("a")), std::nullopt);
  // ... and that it is watched for coming back.
  const int before = wakes();
  session_->create(path("a"), "v3");
  ASSERT_TRUE(waitFor([&] { return wakes() > before; }));
  EXPECT_EQ(data(path("a")), "v3");
}

TEST_F(TreeCacheTest, AMissingNodeIsWatchedForItsCreation) {
  EXPECT_EQ(data(path("later")), std::nullopt);
  EXPECT_EQ(cache_->serverReads(), 1u);
  // The absence is cached like any answer.
  EXPECT_EQ(data(path("later")), std::nullopt);
  EXPECT_EQ(cache_->serverReads(), 1u);
  EXPECT_EQ(wakes(), 0);

  session_->create(path("later"), "born");
  ASSERT_TRUE(waitFor([&] { return wakes() >= 1; }));
  EXPECT_EQ(data(path("later")), "born");
  EXPECT_EQ(cache_->serverReads(), 2u);
}

TEST_F(TreeCacheTest, AMissingDirectoryIsWatchedForItsCreation) {
  EXPECT_EQ(cache_->children(path("dir")), std::nullopt);
  EXPECT_EQ(cache_->children(path("dir")), std::nullopt);
  EXPECT_EQ(cache_->serverReads(), 1u);

  session_->create(path("dir"), "");
  ASSERT_TRUE(waitFor([&] { return wakes() >= 1; }));
  EXPECT_EQ(sorted(cache_->children(path("dir"))), Names{});
  EXPECT_EQ(cache_->serverReads(), 2u);

  session_->create(path("dir/c"), "");
  ASSERT_TRUE(waitFor([&] { return wakes() >= 2; }));
  EXPECT_EQ(sorted(cache_->children(path("dir"))), (Names{"c"}));
}

TEST_F(TreeCacheTest, InvalidateForcesARereadWithoutWaitingForTheWatch) {
  session_->create(path("a"), "v1");
  session_->create(path("a/x"), "");
  EXPECT_EQ(data(path("a")), "v1");
  EXPECT_EQ(sorted(cache_->children(path("a"))), (Names{"x"}));
  EXPECT_EQ(cache_->serverReads(), 2u);

  cache_->invalidate(path("a"));  // both aspects of the path
  EXPECT_EQ(data(path("a")), "v1");
  EXPECT_EQ(sorted(cache_->children(path("a"))), (Names{"x"}));
  EXPECT_EQ(cache_->serverReads(), 4u);

  // Our own write: read back at once, whether or not the watch has fired yet.
  reader_->set(path("a"), "mine");
  cache_->invalidate(path("a"));
  EXPECT_EQ(data(path("a")), "mine");

  // A path never read is a no-op.
  cache_->invalidate(path("never"));
  EXPECT_EQ(cache_->size(), 1u);
}

TEST_F(TreeCacheTest, InvalidateAllForgetsEverything) {
  session_->create(path("a"), "1");
  session_->create(path("b"), "2");
  EXPECT_EQ(data(path("a")), "1");
  EXPECT_EQ(data(path("b")), "2");
  EXPECT_EQ(cache_->size(), 2u);
  cache_->invalidateAll();
  EXPECT_EQ(cache_->size(), 0u);
  EXPECT_EQ(data(path("a")), "1");
  EXPECT_EQ(cache_->serverReads(), 3u);
}

TEST_F(TreeCacheTest, EndPassDropsThePathsThatPassDidNotRead) {
  session_->create(path("a"), "1");
  session_->create(path("b"), "2");
  session_->create(path("c"), "3");

  cache_->beginPass();
  EXPECT_EQ(data(path("a")), "1");
  EXPECT_EQ(data(path("b")), "2");
  EXPECT_EQ(sorted(cache_->children(path("c"))), Names{});
  cache_->endPass();
  EXPECT_EQ(cache_->size(), 3u);
  EXPECT_EQ(cache_->serverReads(), 3u);

  cache_->beginPass();
  EXPECT_EQ(data(path("a")), "1");  // cached: read in this pass without a server read
  cache_->endPass();
  EXPECT_EQ(cache_->size(), 1u);
  EXPECT_EQ(cache_->serverReads(), 3u);

  // A dropped path is read from the server again; a kept one is not.
  cache_->beginPass();
  EXPECT_EQ(data(path("a")), "1");
  EXPECT_EQ(data(path("b")), "2");
  cache_->endPass();
  EXPECT_EQ(cache_->serverReads(), 4u);
  EXPECT_EQ(cache_->size(), 2u);

  // A pass that reads nothing empties the cache.
  cache_->beginPass();
  cache_->endPass();
  EXPECT_EQ(cache_->size(), 0u);
}

TEST_F(TreeCacheTest, APassTakesAPathOnceEvenWhenItChangesMeanwhile) {
  session_->create(path("a"), "v1");
  session_->create(path("b"), "w1");
  session_->create(path("c"), "x1");
  EXPECT_EQ(data(path("c")), "x1");  // cached before the pass

  cache_->beginPass();
  EXPECT_EQ(data(path("a")), "v1");
  cache_->prefetch({path("b"), path("c")}, {path("b")});
  EXPECT_EQ(cache_->serverReads(), 4u);  // c was current: taken from the cache
  session_->set(path("a"), "v2");
  session_->set(path("b"), "w2");
  session_->create(path("b/child"), "");
  session_->set(path("c"), "x2");
  ASSERT_TRUE(waitFor([&] { return wakes() >= 4; }));
  // Changed since this pass took them: the pass keeps its answers (the wake brings the next one).
  EXPECT_EQ(data(path("a")), "v1");
  EXPECT_EQ(data(path("b")), "w1");
  EXPECT_EQ(sorted(cache_->children(path("b"))), Names{});
  EXPECT_EQ(data(path("c")), "x1");
  cache_->prefetch({path("a"), path("b"), path("c")}, {path("b")});
  EXPECT_EQ(cache_->serverReads(), 4u);
  cache_->endPass();

  // The next pass reads each changed aspect again, once.
  cache_->beginPass();
  EXPECT_EQ(data(path("a")), "v2");
  EXPECT_EQ(data(path("b")), "w2");
  EXPECT_EQ(sorted(cache_->children(path("b"))), (Names{"child"}));
  EXPECT_EQ(data(path("c")), "x2");
  EXPECT_EQ(cache_->serverReads(), 8u);
  // Invalidated after our own write: asked again within the pass.
  session_->set(path("a"), "v3");
  cache_->invalidate(path("a"));
  EXPECT_EQ(data(path("a")), "v3");
  EXPECT_EQ(cache_->serverReads(), 9u);
  cache_->endPass();

  // Outside a pass a read whose watch fired asks the server at once, as before.
  session_->set(path("b"), "w3");
  ASSERT_TRUE(waitFor([&] { return wakes() >= 6; }));
  EXPECT_EQ(data(path("b")), "w3");
}

TEST_F(TreeCacheTest, ManyPassesWithoutAChangeReadEachAspectOnce) {
  constexpr int kNodes = 5;
  std::vector<std::string> paths;
  for (int i = 0; i < kNodes; ++i) {
    paths.push_back(path("n" + std::to_string(i)));
    session_->create(paths.back(), "d" + std::to_string(i));
    session_->create(paths.back() + "/child", "");
  }
  paths.push_back(path("missing"));

  for (int pass = 0; pass < 200; ++pass) {
    cache_->beginPass();
    for (const auto& p : paths) {
      cache_->get(p);
      cache_->children(p);
      cache_->get(p);
    }
    cache_->endPass();
  }
  EXPECT_EQ(cache_->serverReads(), 2u * paths.size());
  EXPECT_EQ(cache_->size(), paths.size());
  EXPECT_EQ(wakes(), 0);

  // One change costs exactly one more read, whatever the number of passes after it.
  session_->set(paths[2], "changed");
  ASSERT_TRUE(waitFor([&] { return wakes() >= 1; }));
  for (int pass = 0; pass < 50; ++pass) {
    cache_->beginPass();
    for (const auto& p : paths) {
      cache_->get(p);
      cache_->children(p);
    }
    cache_->endPass();
  }
  EXPECT_EQ(cache_->serverReads(), 2u * paths.size() + 1);
  EXPECT_EQ(data(paths[2]), "changed");
}

TEST_F(TreeCacheTest, PrefetchReadsWhatIsStaleAtOnceAndTheReadsAfterItAskNoServer) {
  std::vector<std::string> nodes;
  std::vector<std::string> listings;
  for (int i = 0; i < 4; ++i) {
    nodes.push_back(path("n" + std::to_string(i)));
    session_->create(nodes.back(), "d" + std::to_string(i));
    session_->create(nodes.back() + "/child", "");
    listings.push_back(nodes.back());
  }
  // Already cached: not asked again.
  EXPECT_EQ(data(nodes[0]), "d0");
  EXPECT_EQ(cache_->serverReads(), 1u);

  cache_->prefetch(nodes, listings);
  EXPECT_EQ(cache_->serverReads(), 1u + 3u + 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(data(nodes[i]), "d" + std::to_string(i));
    EXPECT_EQ(sorted(cache_->children(listings[i])), (Names{"child"}));
  }
  EXPECT_EQ(cache_->serverReads(), 8u);
  cache_->prefetch(nodes, listings);
  EXPECT_EQ(cache_->serverReads(), 8u);

  // The prefetched answers are watched like any read: a change wakes, and is read again.
  session_->set(nodes[2], "changed");
  session_->create(listings[3] + "/more", "");
  ASSERT_TRUE(waitFor([&] { return wakes() >= 2; }));
  cache_->prefetch(nodes, listings);
  EXPECT_EQ(cache_->serverReads(), 10u);
  EXPECT_EQ(data(nodes[2]), "changed");
  EXPECT_EQ(sorted(cache_->children(listings[3])), (Names{"child", "more"}));
  EXPECT_EQ(cache_->serverReads(), 10u);
}

TEST_F(TreeCacheTest, APrefetchedMissingNodeIsCachedAndWatchedForItsCreation) {
  const auto missing = path("missing");
  cache_->prefetch({missing}, {missing});
  // The node: cached as missing (an exists, whose watch waits for its creation). The listing:
  // left to the read that follows.
  EXPECT_EQ(cache_->serverReads(), 1u);
  EXPECT_EQ(data(missing), std::nullopt);
  EXPECT_EQ(cache_->serverReads(), 1u);
  EXPECT_EQ(cache_->children(missing), std::nullopt);
  EXPECT_EQ(cache_->serverReads(), 2u);
  session_->create(missing, "here");
  ASSERT_TRUE(waitFor([&] { return wakes() >= 1; }));
  cache_->prefetch({missing}, {});
  EXPECT_EQ(cache_->serverReads(), 3u);
  EXPECT_EQ(data(missing), "here");
  EXPECT_EQ(cache_->serverReads(), 3u);
}

}  // namespace

// sm-recipes-demo against a real ZooKeeper server: each subcommand run as separate processes, as the
// README shows it, checking what they print and what `servicesctl tree` shows meanwhile.
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "manager/zkserver/server_process.hpp"
#include "tests/ctl/ctl_runner.hpp"
#include "tests/support/wait_for.hpp"
#include "tests/support/zookeeper_fixture.hpp"

namespace sm::test {
namespace {

using std::chrono::milliseconds;

// One sm-recipes-demo process, stdout and stderr in a file, stopped by its PID.
class Participant {
 public:
  Participant(const std::vector<std::string>& args, const std::filesystem::path& dir) {
    static std::atomic<int> count{0};
    std::filesystem::create_directories(dir);
    output_ = dir / fmt::format("participant-{}.log", count++);
    std::vector<std::string> argv{SM_RECIPES_DEMO};
    argv.insert(argv.end(), args.begin(), args.end());
    process_ = zkserver::ServerProcess(argv, output_, {.ownProcessGroup = false,
                                                       .searchPath = false,
                                                       .execFailure = "exec failed\n"});
  }

  std::string output() const { return readFile(output_); }
  bool saw(const std::string& text) const { return output().find(text) != std::string::npos; }
  bool waitFor(const std::string& text, milliseconds timeout = milliseconds(10000)) const {
    return sm::test::waitFor([&] { return saw(text); }, timeout, milliseconds(5));
  }
  std::optional<int> waitExit(milliseconds timeout = milliseconds(10000)) {
    return process_.waitExit(timeout);
  }
  // SIGTERM: the participant gives up what it holds and exits 0.
  std::optional<int> stop() {
    process_.signal(SIGTERM);
    return process_.waitExit(milliseconds(10000));
  }
  void kill() { process_.kill(); }

 private:
  std::filesystem::path output_;
  zkserver::ServerProcess process_;
};

class RecipesDemo : public ZooKeeperTest {
 protected:
  void SetUp() override {
    ZooKeeperTest::SetUp();
    dir_ = std::filesystem::path(SM_RECIPES_RUN_DIR) / root().substr(1);
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override {
    participants_.clear();  // any still running is killed by its PID
    if (!HasFailure()) std::filesystem::remove_all(dir_);
    ZooKeeperTest::TearDown();
  }

  Participant& start(const std::vector<std::string>& args) {
    std::vector<std::string> all{"--zk", hosts(), "--root", root()};
    all.insert(all.end(), args.begin(), args.end());
    participants_.push_back(std::make_unique<Participant>(all, dir_));
    return *participants_.back();
  }
  // Runs to the end; the exit code and the output.
  std::pair<int, std::string> run(const std::vector<std::string>& args) {
    auto& p = start(args);
    auto code = p.waitExit();
    EXPECT_TRUE(code.has_value()) << "still running: " << fmt::format("{}", fmt::join(args, " "));
    return {code.value_or(-1), p.output()};
  }
  std::string tree() {
    auto result = runCtl({"--zk", hosts(), "--root", root(), "tree"});
    EXPECT_EQ(result.exitCode, 0) << result.err;
    return result.out;
  }
  static size_t count(const std::string& text, const std::string& needle) {
    size_t n = 0;
    for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
    return n;
  }

  std::filesystem::path dir_;
  std::vector<std::unique_ptr<Participant>> participants_;
};

TEST_F(RecipesDemo, LockIsHeldByOneAtATimeInQueueOrder) {
  auto& a = start({"--name", "a", "lock"});
  ASSERT_TRUE(a.waitFor("a: holds the lock as ")) << a.output();
  auto& b = start({"--name", "b", "lock"});
  ASSERT_TRUE(b.waitFor("b: waiting for the lock")) << b.output();
  // b queued behind a: two ephemeral contenders, b not holding.
  ASSERT_TRUE(waitFor([&] { return count(tree(), "(ephemeral) a") == 1 &&
                                   count(tree(), "(ephemeral) b") == 1; }))
      << tree();
  const auto shown = tree();
  std::cout << shown;
  EXPECT_NE(shown.find("  recipes\n    lock\n      lock-"), std::string::npos) << shown;
  EXPECT_FALSE(b.saw("holds the lock")) << b.output();

  ASSERT_EQ(a.stop(), 0) << a.output();
  EXPECT_TRUE(a.saw("a: released the lock")) << a.output();
  ASSERT_TRUE(b.waitFor("b: holds the lock as ")) << b.output();
  EXPECT_EQ(count(tree(), "(ephemeral)"), 1u) << tree();
  ASSERT_EQ(b.stop(), 0) << b.output();
  EXPECT_EQ(count(tree(), "(ephemeral)"), 0u) << tree();
}

TEST_F(RecipesDemo, ElectionHasOneMasterAndTheNextInLineTakesOver) {
  auto& a = start({"--name", "a", "election"});
  ASSERT_TRUE(a.waitFor("a: master, epoch ")) << a.output();
  auto& b = start({"--name", "b", "election"});
  ASSERT_TRUE(b.waitFor("b: secondary, behind ")) << b.output();
  auto& c = start({"--name", "c", "election"});
  ASSERT_TRUE(c.waitFor("c: secondary, behind ")) << c.output();
  const auto shown = tree();
  std::cout << shown;
  EXPECT_EQ(count(shown, "(ephemeral)"), 3u) << shown;
  EXPECT_NE(shown.find("    election\n      lock-"), std::string::npos) << shown;

  ASSERT_EQ(a.stop(), 0) << a.output();
  // Exactly one of b and c becomes master: the one that joined next.
  ASSERT_TRUE(b.waitFor("b: master, epoch ")) << b.output() << c.output();
  EXPECT_FALSE(c.saw("c: master")) << c.output();
  const auto epochOf = [](const std::string& out, const std::string& who) {
    const auto at = out.find(who + ": master, epoch ");
    return std::stoll(out.substr(at + who.size() + 16));
  };
  EXPECT_GT(epochOf(b.output(), "b"), epochOf(a.output(), "a"));
  ASSERT_EQ(b.stop(), 0);
  ASSERT_TRUE(c.waitFor("c: master, epoch ")) << c.output();
  ASSERT_EQ(c.stop(), 0);
}

TEST_F(RecipesDemo, BarrierHoldsWaitersUntilItIsLowered) {
  auto& holder = start({"--name", "h", "barrier", "hold"});
  ASSERT_TRUE(holder.waitFor("h: barrier up at ")) << holder.output();
  auto& w1 = start({"--name", "w1", "barrier", "wait"});
  auto& w2 = start({"--name", "w2", "barrier", "wait"});
  ASSERT_TRUE(w1.waitFor("w1: waiting at the barrier")) << w1.output();
  ASSERT_TRUE(w2.waitFor("w2: waiting at the barrier")) << w2.output();
  const auto shown = tree();
  std::cout << shown;
  EXPECT_NE(shown.find("    barrier (ephemeral) h\n"), std::string::npos) << shown;
  EXPECT_FALSE(w1.saw("passed")) << w1.output();

  ASSERT_EQ(holder.stop(), 0) << holder.output();
  EXPECT_EQ(w1.waitExit(), 0) << w1.output();
  EXPECT_EQ(w2.waitExit(), 0) << w2.output();
  EXPECT_TRUE(w1.saw("w1: passed the barrier after ")) << w1.output();
  EXPECT_EQ(tree().find("barrier"), std::string::npos) << tree();

  // A waiter gives up (exit 1) when the barrier stays up.
  auto& again = start({"--name", "h2", "barrier", "hold"});
  ASSERT_TRUE(again.waitFor("h2: barrier up at ")) << again.output();
  auto [code, out] = run({"--name", "w3", "barrier", "wait", "--timeout-ms", "300"});
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("w3: the barrier is still up after 300 ms"), std::string::npos) << out;
}

TEST_F(RecipesDemo, QueueGivesItemsOutOnceInOrder) {
  auto [putCode, putOut] = run({"queue", "put", "first", "second", "third"});
  ASSERT_EQ(putCode, 0) << putOut;
  EXPECT_NE(putOut.find("queued item-0000000000: first"), std::string::npos) << putOut;
  EXPECT_NE(putOut.find("queued item-0000000002: third"), std::string::npos) << putOut;
  const auto shown = tree();
  std::cout << shown;
  EXPECT_NE(shown.find("    queue\n      item-0000000000 first\n      item-0000000001 second\n"),
            std::string::npos)
      << shown;

  auto [takeCode, takeOut] = run({"queue", "take", "--count", "2"});
  ASSERT_EQ(takeCode, 0) << takeOut;
  EXPECT_NE(takeOut.find("took item-0000000000: first\ntook item-0000000001: second\n"),
            std::string::npos)
      << takeOut;
  EXPECT_EQ(count(tree(), "item-"), 1u) << tree();

  // A consumer waiting on an empty queue gets the next item put.
  auto [lastCode, lastOut] = run({"queue", "take"});
  ASSERT_EQ(lastCode, 0) << lastOut;
  auto& waiting = start({"--name", "c", "queue", "take", "--timeout-ms", "10000"});
  ASSERT_TRUE(waiting.waitFor("c: the queue is empty; waiting")) << waiting.output();
  auto [code, out] = run({"queue", "put", "fourth"});
  ASSERT_EQ(code, 0) << out;
  EXPECT_EQ(waiting.waitExit(), 0) << waiting.output();
  EXPECT_TRUE(waiting.saw("took item-0000000003: fourth\n")) << waiting.output();
  EXPECT_EQ(count(tree(), "item-"), 0u) << tree();

  auto [emptyCode, emptyOut] = run({"--name", "c2", "queue", "take", "--timeout-ms", "200"});
  EXPECT_EQ(emptyCode, 1) << emptyOut;
  EXPECT_NE(emptyOut.find("c2: the queue stayed empty for 200 ms"), std::string::npos) << emptyOut;
}

TEST_F(RecipesDemo, GroupMembersSeeJoinsAndLeavesAndACrashedMemberGoes) {
  auto& a = start({"--name", "a", "group"});
  ASSERT_TRUE(a.waitFor("a: joined as ")) << a.output();
  auto& b = start({"--name", "b", "--session-timeout-ms", "1000", "group"});
  ASSERT_TRUE(a.waitFor("members: a, b (joined: b)")) << a.output();
  ASSERT_TRUE(b.waitFor("members: a, b")) << b.output();
  const auto shown = tree();
  std::cout << shown;
  EXPECT_NE(shown.find("    group\n      a (ephemeral) {\"pid\":"), std::string::npos) << shown;
  EXPECT_NE(shown.find("      b (ephemeral) {\"pid\":"), std::string::npos) << shown;

  // A name already in the group is refused.
  auto [dupCode, dupOut] = run({"--name", "a", "group", "--for-ms", "100"});
  EXPECT_EQ(dupCode, 1) << dupOut;
  EXPECT_NE(dupOut.find("a: the name is taken in "), std::string::npos) << dupOut;

  // b crashes: its node goes when its session expires (1 s), and a is told.
  b.kill();
  ASSERT_TRUE(a.waitFor("members: a (left: b)", milliseconds(10000))) << a.output();
  EXPECT_EQ(count(tree(), "(ephemeral)"), 1u) << tree();
  ASSERT_EQ(a.stop(), 0) << a.output();
  EXPECT_TRUE(a.saw("a: left the group")) << a.output();
  EXPECT_EQ(count(tree(), "(ephemeral)"), 0u) << tree();
}

}  // namespace
}  // namespace sm::test

// Supervisor::query (OutputCommand): a command run in an instance's environment, its stdout kept
// (bounded), killed at its timeout; the caller's thread never waits for it.
#include <gtest/gtest.h>

#include <future>

#include "manager/supervisor/supervisor.hpp"
#include "tests/supervisor/test_support.hpp"

namespace sm::supervisor {
namespace {

using namespace testing;
using Kind = InstanceEvent::Kind;

class SupervisorQuery : public SupervisedTest {
 protected:
  OutputCommand::Outcome ask(const std::string& id, std::vector<std::string> argv,
                             std::chrono::milliseconds timeout = 2s, std::size_t limit = 64) {
    std::promise<OutputCommand::Outcome> answer;
    auto future = answer.get_future();
    supervisor.query(id, std::move(argv), timeout, limit,
                     [&answer](const OutputCommand::Outcome& o) { answer.set_value(o); });
    EXPECT_EQ(future.wait_for(10s), std::future_status::ready);
    return future.get();
  }
};

TEST_F(SupervisorQuery, RunsInTheInstancesEnvironmentAndKeepsItsOutput) {
  ASSERT_TRUE(supervisor.start(testSpec("q", dir, {"/bin/sleep", "1000"})));
  ASSERT_TRUE(recorder.waitFor(Kind::Started, "q"));
  const auto script = writeScript(dir, "score.sh", "echo \"$SM_PHYSICAL_ID 42\"");
  const auto o = ask("q", {script});
  EXPECT_TRUE(o.ok) << o.detail;
  EXPECT_EQ(o.output, "phys-q 42\n");
  EXPECT_FALSE(o.truncated);
}

TEST_F(SupervisorQuery, BoundsTheOutputAndReportsFailuresHangsAndUnknownInstances) {
  ASSERT_TRUE(supervisor.start(testSpec("q", dir, {"/bin/sleep", "1000"})));
  ASSERT_TRUE(recorder.waitFor(Kind::Started, "q"));
  const auto chatty = ask("q", {"/bin/sh", "-c", "head -c 100000 /dev/zero | tr '\\0' 7"}, 5s, 16);
  EXPECT_TRUE(chatty.ok) << chatty.detail << " (a full pipe must not block it)";
  EXPECT_EQ(chatty.output, std::string(16, '7'));
  EXPECT_TRUE(chatty.truncated);

  const auto failing = ask("q", {"/bin/sh", "-c", "echo 5; exit 3"});
  EXPECT_FALSE(failing.ok);
  EXPECT_EQ(failing.output, "5\n");

  const auto start = std::chrono::steady_clock::now();
  const auto hanging = ask("q", {"/bin/sh", "-c", "sleep 30"}, 200ms);
  EXPECT_FALSE(hanging.ok);
  EXPECT_EQ(hanging.detail, "timed out and was killed");
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);

  const auto missing = ask("q", {"/no/such/score-hook"});
  EXPECT_FALSE(missing.ok);
  const auto unknown = ask("nobody", {"/bin/true"});
  EXPECT_FALSE(unknown.ok);
  EXPECT_EQ(unknown.detail, "the instance does not run");
}

}  // namespace
}  // namespace sm::supervisor

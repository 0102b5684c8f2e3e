// stdout and stderr captured to per-instance files, rotated by size keeping N files.
#include <gtest/gtest.h>

#include <filesystem>

#include "manager/supervisor/supervisor.hpp"
#include "tests/supervisor/test_support.hpp"

namespace sm::supervisor {
namespace {

using namespace testing;
using Kind = InstanceEvent::Kind;

class SupervisorLogs : public SupervisedTest {};

TEST_F(SupervisorLogs, CapturesStdoutAndStderrSeparately) {
  auto spec =
      testSpec("talker", dir, {"/bin/sh", "-c", "echo to-out; echo to-err >&2; echo more-out"});
  ASSERT_TRUE(supervisor.start(spec));
  ASSERT_TRUE(recorder.waitFor(Kind::Completed, "talker"));
  // Complete by the time the exit is reported: no waiting on the log file itself.
  EXPECT_EQ(readFile(dir.file("talker.stdout.log")), "to-out\nmore-out\n");
  EXPECT_EQ(readFile(dir.file("talker.stderr.log")), "to-err\n");
  auto status = supervisor.status("talker");
  EXPECT_EQ(status->stdoutLog, dir.file("talker.stdout.log"));
  EXPECT_EQ(status->stderrLog, dir.file("talker.stderr.log"));
}

TEST_F(SupervisorLogs, AppendsAcrossRestarts) {
  auto spec = testSpec("again", dir, {"/bin/sh", "-c", "echo run; exit 1"});
  spec.restart.policy = RestartPolicy::OnFailure;
  spec.restart.crashLoopFailures = 3;
  ASSERT_TRUE(supervisor.start(spec));
  ASSERT_TRUE(recorder.waitFor(Kind::Failed, "again"));
  EXPECT_EQ(readFile(dir.file("again.stdout.log")), "run\nrun\nrun\n");
}

TEST_F(SupervisorLogs, RotatesBySizeKeepingNFiles) {
  // 400 numbered lines of 100 bytes = 40,000 bytes through 4,096-byte files, keeping 3 old ones.
  auto spec = testSpec(
      "chatty", dir,
      {"/bin/sh", "-c", "i=0; while [ $i -lt 400 ]; do printf '%099d\\n' $i; i=$((i+1)); done"});
  spec.log.rotateBytes = 4096;
  spec.log.keepFiles = 3;
  ASSERT_TRUE(supervisor.start(spec));
  ASSERT_TRUE(recorder.waitFor(Kind::Completed, "chatty"));

  std::string base = dir.file("chatty.stdout.log");
  for (const auto& file : {base, base + ".1", base + ".2", base + ".3"}) {
    ASSERT_TRUE(std::filesystem::exists(file)) << file;
    EXPECT_LE(std::filesystem::file_size(file), 4096u) << file;
  }
  EXPECT_FALSE(std::filesystem::exists(base + ".4")) << "only keepFiles rotated files are kept";
  // Oldest to newest, the kept files are one contiguous tail of the output.
  std::string kept =
      readFile(base + ".3") + readFile(base + ".2") + readFile(base + ".1") + readFile(base);
  EXPECT_EQ(kept.size(), 40000 % 4096 + 3 * 4096);
  std::string expected;
  for (int i = 0; i < 400; ++i) {
    char line[101];
    std::snprintf(line, sizeof line, "%099d\n", i);
    expected += line;
  }
  EXPECT_EQ(kept, expected.substr(expected.size() - kept.size()));
}

}  // namespace
}  // namespace sm::supervisor

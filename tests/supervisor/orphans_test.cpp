// A SIGKILLed supervisor leaves nothing behind: its children die of PR_SET_PDEATHSIG and their
// children are killed by the orphan guard.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <sstream>

#include "tests/supervisor/test_support.hpp"

extern char** environ;

namespace sm::supervisor {
namespace {

using namespace testing;

TEST(SupervisorOrphans, NothingSurvivesASigkilledSupervisor) {
  TempDir dir;
  constexpr int kFamilies = 3;
  // Each child starts a grandchild that ignores SIGTERM and SIGHUP and one that does not.
  writeScript(dir, "family.sh",
              "sleep 1000 & echo $! >> \"$0.$1.pids\"\n"
              "(trap '' TERM HUP; exec sleep 1000) & echo $! >> \"$0.$1.pids\"\n"
              "echo $$ >> \"$0.$1.pids\"\n"
              "wait");
  std::string holder = holderPath();
  std::string count = std::to_string(kFamilies);
  std::string dirPath = dir.path();
  char* argv[] = {holder.data(), dirPath.data(), count.data(), nullptr};
  pid_t holderPid = 0;
  ASSERT_EQ(posix_spawn(&holderPid, holder.c_str(), nullptr, nullptr, argv, environ), 0);

  std::vector<pid_t> descendants;
  bool ready = waitFor([&] {
    if (!std::filesystem::exists(dir.file("holder.ready"))) return false;
    for (int i = 0; i < kFamilies; ++i) {
      if (readLines(dir.file("family.sh." + std::to_string(i) + ".pids")).size() != 3) return false;
    }
    return true;
  }, 10s);
  if (!ready) kill(holderPid, SIGKILL);
  ASSERT_TRUE(ready);
  int children = 0;
  for (const auto& line : readLines(dir.file("holder.ready"))) {
    std::istringstream fields(line);
    std::string kind;
    pid_t pid = 0;
    fields >> kind >> pid;
    descendants.push_back(pid);
    children += kind == "child";
  }
  EXPECT_EQ(children, kFamilies);
  for (int i = 0; i < kFamilies; ++i) {
    for (const auto& line : readLines(dir.file("family.sh." + std::to_string(i) + ".pids"))) descendants.push_back(std::stoi(line));
  }
  ASSERT_EQ(descendants.size(), static_cast<std::size_t>(kFamilies + 1 + 3 * kFamilies));
  for (pid_t pid : descendants) ASSERT_FALSE(processGone(pid)) << pid;

  auto killedAt = std::chrono::steady_clock::now();
  ASSERT_EQ(kill(holderPid, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(holderPid, &status, 0), holderPid);
  EXPECT_TRUE(WIFSIGNALED(status));
  for (pid_t pid : descendants) EXPECT_TRUE(waitFor([&] { return processGone(pid); }, 3s)) << "pid " << pid << " survived";
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - killedAt);
  std::printf("all %zu descendants gone %lld ms after SIGKILL of the supervisor\n", descendants.size(),
              static_cast<long long>(took.count()));
  // Whatever failed above, leave nothing running.
  for (pid_t pid : descendants) {
    if (!processGone(pid)) kill(pid, SIGKILL);
  }
}

}  // namespace
}  // namespace sm::supervisor

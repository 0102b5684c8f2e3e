// A SIGKILLed supervisor leaves nothing behind: its children die of PR_SET_PDEATHSIG and their
// children are killed by the orphan guard.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <sstream>

#include "tests/supervisor/test_support.hpp"

extern char** environ;

namespace sm::supervisor {
namespace {

using namespace testing;

// Whatever fails, nothing this test started is left running.
struct KillOnExit {
  pid_t holder = 0;  // reset once reaped
  std::set<pid_t> descendants;
  ~KillOnExit() {
    if (holder > 0) {
      kill(holder, SIGKILL);
      waitpid(holder, nullptr, 0);
    }
    for (pid_t pid : descendants) {
      if (!processGone(pid)) kill(pid, SIGKILL);
    }
  }
};

// Starts the holder helper with `families` children (each with two grandchildren, one ignoring
// SIGTERM and SIGHUP), SIGKILLs it, and checks that every descendant is gone soon after.
void expectNothingSurvivesAKilledHolder(int families, bool replaceGuard) {
  TempDir dir;
  writeScript(dir, "family.sh",
              "sleep 1000 & echo $! >> \"$0.$1.pids\"\n"
              "(trap '' TERM HUP; exec sleep 1000) & echo $! >> \"$0.$1.pids\"\n"
              "echo $$ >> \"$0.$1.pids\"\n"
              "wait");
  auto familyPids = [&](int i) {
    return readLines(dir.file("family.sh." + std::to_string(i) + ".pids"));
  };
  std::string holder = holderPath();
  std::string dirPath = dir.path();
  std::string count = std::to_string(families);
  std::string replace = "--replace-guard";
  char* argv[] = {holder.data(), dirPath.data(), count.data(),
                  replaceGuard ? replace.data() : nullptr, nullptr};
  KillOnExit cleanup;
  ASSERT_EQ(posix_spawn(&cleanup.holder, holder.c_str(), nullptr, nullptr, argv, environ), 0);

  ASSERT_TRUE(waitFor(
      [&] {
        if (!std::filesystem::exists(dir.file("holder.ready"))) return false;
        for (int i = 0; i < families; ++i) {
          if (familyPids(i).size() != 3) return false;
        }
        return true;
      },
      10s));
  int children = 0;
  for (const auto& line : readLines(dir.file("holder.ready"))) {
    std::istringstream fields(line);
    std::string kind;
    pid_t pid = 0;
    fields >> kind >> pid;
    cleanup.descendants.insert(pid);
    children += kind == "child";
  }
  EXPECT_EQ(children, families);
  for (int i = 0; i < families; ++i) {
    for (const auto& line : familyPids(i)) cleanup.descendants.insert(std::stoi(line));
  }
  // The children (each listed by the holder and by itself), the guard, two grandchildren per child.
  ASSERT_EQ(cleanup.descendants.size(), static_cast<std::size_t>(families + 1 + 2 * families));
  for (pid_t pid : cleanup.descendants) ASSERT_FALSE(processGone(pid)) << pid;

  auto killedAt = std::chrono::steady_clock::now();
  ASSERT_EQ(kill(cleanup.holder, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(waitpid(cleanup.holder, &status, 0), cleanup.holder);
  cleanup.holder = 0;
  EXPECT_TRUE(WIFSIGNALED(status));
  for (pid_t pid : cleanup.descendants) {
    EXPECT_TRUE(waitFor([&] { return processGone(pid); }, 3s)) << "pid " << pid << " survived";
  }
  auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - killedAt);
  std::printf("all %zu descendants gone %lld ms after SIGKILL of the supervisor\n",
              cleanup.descendants.size(), static_cast<long long>(took.count()));
}

TEST(SupervisorOrphans, NothingSurvivesASigkilledSupervisor) {
  expectNothingSurvivesAKilledHolder(3, false);
}

TEST(SupervisorOrphans, AReplacedOrphanGuardStillCleansUp) {
  expectNothingSurvivesAKilledHolder(2, true);
}

}  // namespace
}  // namespace sm::supervisor

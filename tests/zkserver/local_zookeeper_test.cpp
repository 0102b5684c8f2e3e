#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "manager/zk/session.hpp"
#include "manager/zkserver/four_letter_word.hpp"
#include "manager/zkserver/local_zookeeper.hpp"
#include "tests/support/wait_for.hpp"

namespace {

using namespace std::chrono_literals;
using sm::test::waitFor;

bool processGone(pid_t pid) {
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

// Runs the holder binary in a mode; returns its PID and, once it has started them, its servers'.
struct Holder {
  pid_t pid = -1;
  std::vector<pid_t> servers;
};

Holder startHolder(const std::string& mode) {
  char dir[] = "/tmp/sm-holder-XXXXXX";
  EXPECT_NE(::mkdtemp(dir), nullptr);
  const std::string pidFile = std::string(dir) + "/pids";
  Holder holder;
  holder.pid = ::fork();
  if (holder.pid == 0) {
    int devnull = ::open("/dev/null", O_WRONLY);
    ::dup2(devnull, STDOUT_FILENO);
    ::execl(SERVER_HOLDER_BIN, SERVER_HOLDER_BIN, mode.c_str(), pidFile.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  EXPECT_TRUE(waitFor([&] { return std::filesystem::exists(pidFile); }, 60s));
  std::ifstream in(pidFile);
  pid_t pid;
  while (in >> pid) holder.servers.push_back(pid);
  std::filesystem::remove_all(dir);
  return holder;
}

TEST(LocalZooKeeper, ServesOnLoopbackAndStopsByPid) {
  pid_t pid;
  int port;
  {
    sm::zkserver::LocalZooKeeper server;
    pid = server.pid();
    port = server.port();
    EXPECT_EQ(sm::zkserver::fourLetterWord(port, "ruok"), "imok");
    EXPECT_EQ(sm::zkserver::serverMode(port), "standalone");
    EXPECT_EQ(server.connectString(), "127.0.0.1:" + std::to_string(port));
    sm::zk::SessionOptions options;
    options.hosts = server.connectString();
    auto session = sm::zk::Session::connect(options);
    EXPECT_TRUE(session->exists("/zookeeper"));
  }
  EXPECT_TRUE(processGone(pid));
  EXPECT_FALSE(sm::zkserver::fourLetterWord(port, "ruok", 500ms));
}

TEST(LocalZooKeeper, RestartKeepsPortAndData) {
  sm::zkserver::LocalZooKeeper server;
  sm::zk::SessionOptions options;
  options.hosts = server.connectString();
  sm::zk::Session::connect(options)->create("/kept", "yes");
  const pid_t before = server.pid();
  server.restart();
  EXPECT_NE(server.pid(), before);
  EXPECT_TRUE(processGone(before));
  auto node = sm::zk::Session::connect(options)->get("/kept");
  ASSERT_TRUE(node);
  EXPECT_EQ(node->data, "yes");
}

TEST(LocalEnsemble, FindsStopsAndRestartsTheLeader) {
  sm::zkserver::LocalEnsemble ensemble(3);
  ASSERT_TRUE(ensemble.waitQuorum(20s));
  auto leader = ensemble.leader();
  ASSERT_TRUE(leader);
  size_t followers = 0;
  for (size_t i = 0; i < ensemble.size(); ++i) followers += ensemble.server(i).mode() == "follower";
  EXPECT_EQ(followers, 2u);

  const pid_t oldLeaderPid = ensemble.server(*leader).pid();
  ensemble.server(*leader).stop();
  EXPECT_TRUE(processGone(oldLeaderPid));
  ASSERT_TRUE(waitFor(
      [&] {
        auto l = ensemble.leader();
        return l && *l != *leader;
      },
      20s));
  ensemble.restart(*leader);
  EXPECT_EQ(ensemble.server(*leader).mode(), "follower");
}

TEST(LocalZooKeeper, NoServerOutlivesAKilledTest) {
  Holder holder = startHolder("wait");
  ASSERT_GT(holder.pid, 0);
  ASSERT_EQ(holder.servers.size(), 4u);
  for (pid_t pid : holder.servers) EXPECT_FALSE(processGone(pid));
  ::kill(holder.pid, SIGKILL);
  int status = 0;
  ::waitpid(holder.pid, &status, 0);
  for (pid_t pid : holder.servers) {
    EXPECT_TRUE(waitFor([&] { return processGone(pid); }, 10s)) << "server pid " << pid << " left";
  }
}

TEST(LocalZooKeeper, NoServerOutlivesAFailedTest) {
  Holder holder = startHolder("fail");
  ASSERT_GT(holder.pid, 0);
  ASSERT_EQ(holder.servers.size(), 4u);
  int status = 0;
  ::waitpid(holder.pid, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_NE(WEXITSTATUS(status), 0) << "the holder's test was meant to fail";
  // Its destructors ran as the failed test unwound: every server is already stopped.
  for (pid_t pid : holder.servers) EXPECT_TRUE(processGone(pid)) << "server pid " << pid << " left";
}

}  // namespace

// `servicesmgr --dev`: it starts its own ZooKeeper, tells servicesctl where through the env file,
// runs examples/basic/demo.yaml, and on SIGTERM leaves nothing behind: no service, no ZooKeeper,
// no temp folder, no env file.
#include <signal.h>
#include <stdlib.h>

#include <filesystem>
#include <map>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "config/layout.hpp"
#include "manager/zk/session.hpp"
#include "manager/zkserver/server_process.hpp"
#include "tests/ctl/ctl_runner.hpp"
#include "tests/daemon/support/daemon_process.hpp"
#include "tests/daemon/support/tree_snapshot.hpp"
#include "tests/support/wait_for.hpp"

namespace sm::test {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

// NAME=value lines of the env file ("export A=1 B=2" counts as two).
std::map<std::string, std::string> parseEnvFile(const std::string& text) {
  std::map<std::string, std::string> values;
  std::istringstream in(text);
  for (std::string word; in >> word;) {
    const auto eq = word.find('=');
    if (eq != std::string::npos) values[word.substr(0, eq)] = word.substr(eq + 1);
  }
  return values;
}

std::vector<fs::path> devFolders(const fs::path& dir) {
  std::vector<fs::path> found;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.path().filename().string().rfind("servicesmgr-dev-", 0) == 0) {
      found.push_back(entry.path());
    }
  }
  return found;
}

TEST(DevMode, RunsTheDemoOnItsOwnZooKeeperAndStopsEverythingOnSigterm) {
  // Its temp folders go under the daemon tests' folder, which sm-no-daemon-left checks.
  const fs::path dir = fs::path(SM_DAEMON_RUN_DIR) / "dev-mode";
  fs::remove_all(dir);
  fs::create_directories(dir);
  ASSERT_EQ(::setenv("TMPDIR", dir.c_str(), 1), 0);
  // demo.yaml names "sm-demo-service": the daemon finds it on its PATH.
  const std::string path = fs::path(SM_DEMO_SERVICE).parent_path().string() + ":" + getenv("PATH");
  ASSERT_EQ(::setenv("PATH", path.c_str(), 1), 0);
  ::unsetenv("SERVICESMGR_ZK");
  ::unsetenv("SERVICESMGR_ROOT");
  const fs::path envFile = dir / "dev.env";

  zkserver::ServerProcess dev(
      {SM_SERVICESMGR, "--dev", "--host-id", "dev1", "--dev-env-file", envFile.string()},
      dir / "servicesmgr.log");
  ASSERT_TRUE(waitFor([&] { return fs::exists(envFile) || !dev.running(); }, milliseconds(60000)))
      << readFile(dir / "servicesmgr.log");
  ASSERT_TRUE(fs::exists(envFile)) << readFile(dir / "servicesmgr.log");
  auto env = parseEnvFile(readFile(envFile));
  ASSERT_TRUE(env.count("SERVICESMGR_ZK") && env.count("SERVICESMGR_ROOT") &&
              env.count("SERVICESMGR_DEV_ZOOKEEPER_PID"))
      << readFile(envFile);
  EXPECT_EQ(env["SERVICESMGR_DEV_PID"], std::to_string(dev.pid()));
  const pid_t zookeeperPid = std::stoi(env["SERVICESMGR_DEV_ZOOKEEPER_PID"]);
  EXPECT_TRUE(pidAlive(zookeeperPid));
  EXPECT_EQ(parentPid(zookeeperPid), dev.pid()) << "the ZooKeeper is the daemon's own child";
  ASSERT_EQ(devFolders(dir).size(), 1u);
  EXPECT_NE(readFile(dir / "servicesmgr.log")
                .find(fmt::format("export SERVICESMGR_ZK={} SERVICESMGR_ROOT={}",
                                  env["SERVICESMGR_ZK"], env["SERVICESMGR_ROOT"])),
            std::string::npos)
      << "the export line is printed for the user";

  const std::vector<std::string> ctlEnv = {"SERVICESMGR_ZK=" + env["SERVICESMGR_ZK"],
                                           "SERVICESMGR_ROOT=" + env["SERVICESMGR_ROOT"]};
  auto applied = runCtl(
      {"apply", "-f", (fs::path(SM_SOURCE_DIR) / "examples/basic/demo.yaml").string(), "--wait",
       "--timeout", "25s"},
      "", ctlEnv);
  ASSERT_EQ(applied.exitCode, 0) << applied.out << applied.err
                                 << readFile(dir / "servicesmgr.log");

  zk::SessionOptions options;
  options.hosts = env["SERVICESMGR_ZK"];
  auto session = zk::Session::connect(options);
  const auto tree = readTree(*session, config::Layout(env["SERVICESMGR_ROOT"]));
  session->close();
  std::vector<pid_t> services;
  for (const auto& [key, instance] : tree.allInstances()) {
    EXPECT_EQ(instance.state, "running");
    EXPECT_EQ(instance.host, "dev1");
    services.push_back(static_cast<pid_t>(instance.pid));
  }
  ASSERT_EQ(services.size(), 3u) << tree.str();
  for (auto pid : services) EXPECT_TRUE(pidAlive(pid)) << pid;

  dev.signal(SIGTERM);
  const auto code = dev.waitExit(milliseconds(30000));
  ASSERT_TRUE(code.has_value()) << "still running 30 s after SIGTERM";
  EXPECT_EQ(*code, 0) << readFile(dir / "servicesmgr.log");
  EXPECT_FALSE(pidAlive(zookeeperPid)) << "the ZooKeeper outlived --dev";
  EXPECT_TRUE(noneAlive(services)) << "a service outlived --dev";
  EXPECT_FALSE(fs::exists(envFile));
  EXPECT_TRUE(devFolders(dir).empty()) << "the temp folder is removed";
}

}  // namespace
}  // namespace sm::test

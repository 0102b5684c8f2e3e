#include "manager/daemon/dev_mode.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <random>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "manager/zkserver/local_zookeeper.hpp"

namespace sm::daemon {

namespace {

namespace fs = std::filesystem;

fs::path makeTempDir() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern = fmt::format("{}/servicesmgr-dev-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!::mkdtemp(pattern.data())) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp " + pattern);
  }
  return pattern;
}

std::string randomRoot() {
  std::random_device random;
  return fmt::format("/dev-{:06x}", random() & 0xffffff);
}

std::string exportLine(const DaemonOptions& options) {
  return fmt::format("export SERVICESMGR_ZK={} SERVICESMGR_ROOT={}", options.zk, options.root);
}

// Written whole under a temporary name and renamed, so that a script polling for the file never
// reads half of it.
void writeEnvFile(const fs::path& file, const DaemonOptions& options, pid_t zookeeperPid) {
  const fs::path partial = file.string() + ".partial";
  {
    std::ofstream out(partial);
    out << exportLine(options) << "\n"
        << "SERVICESMGR_DEV_PID=" << ::getpid() << "\n"
        << "SERVICESMGR_DEV_ZOOKEEPER_PID=" << zookeeperPid << "\n";
    if (!out.flush()) throw std::runtime_error("cannot write " + partial.string());
  }
  fs::rename(partial, file);
}

}  // namespace

int runDevMode(DaemonOptions options, const std::function<int(const DaemonOptions&)>& runDaemon) {
  fs::path tempDir;
  std::unique_ptr<zkserver::LocalZooKeeper> zookeeper;
  try {
    tempDir = makeTempDir();
    zkserver::LocalZooKeeperOptions zkOptions;
    zkOptions.baseDir = tempDir;
    spdlog::info("--dev: starting a private ZooKeeper under {}", tempDir.string());
    zookeeper = std::make_unique<zkserver::LocalZooKeeper>(zkOptions);
  } catch (const std::exception& e) {
    spdlog::error("--dev: the private ZooKeeper did not start: {}", e.what());
    std::error_code ignored;
    if (!tempDir.empty()) fs::remove_all(tempDir, ignored);
    return 1;
  }
  options.zk = zookeeper->connectString();
  if (!options.rootGiven) options.root = randomRoot();
  if (options.workDir.empty()) options.workDir = (tempDir / options.hostId).string();
  if (options.dataDir.empty()) options.dataDir = (tempDir / options.hostId / "data").string();

  int code = 1;
  try {
    // The line first: whoever sees the env file can already read it in the output.
    std::cout << fmt::format(
                     "servicesmgr --dev: a private ZooKeeper (pid {}) serves at {}; root {}\n"
                     "Point servicesctl (and more daemons) at it with:\n\n"
                     "  {}\n\n"
                     "e.g. `servicesmgr --host-id h2 &` then joins this cluster. SIGINT/SIGTERM "
                     "stops this daemon, its services and the ZooKeeper.\n",
                     zookeeper->pid(), options.zk, options.root, exportLine(options))
              << std::flush;
    if (!options.devEnvFile.empty()) writeEnvFile(options.devEnvFile, options, zookeeper->pid());
    code = runDaemon(options);
  } catch (const std::exception& e) {
    spdlog::error("--dev: {}", e.what());
  }
  spdlog::info("--dev: stopping the private ZooKeeper (pid {})", zookeeper->pid());
  zookeeper.reset();
  std::error_code ignored;
  if (!options.devEnvFile.empty()) fs::remove(options.devEnvFile, ignored);
  fs::remove_all(tempDir, ignored);
  return code;
}

}  // namespace sm::daemon

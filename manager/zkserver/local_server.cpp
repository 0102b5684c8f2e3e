#include "manager/zkserver/local_server.hpp"

#include <unistd.h>

#include <cstdlib>
#include <deque>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "manager/zkserver/four_letter_word.hpp"

namespace sm::zkserver {

namespace {

const char* kJavaDir = "/usr/share/java";
// The server's jar names its dependencies in its manifest; the SLF4J back end is chosen here,
// never by a wildcard over /usr/share/java, which holds several and would pick one at random.
const char* kJars[] = {"zookeeper.jar", "slf4j-log4j12.jar", "log4j-1.2.jar"};
const char* kMainClass = "org.apache.zookeeper.server.quorum.QuorumPeerMain";

std::string readTail(const std::filesystem::path& file, size_t lines) {
  std::ifstream in(file);
  std::deque<std::string> tail;
  std::string line;
  while (std::getline(in, line)) {
    tail.push_back(line);
    if (tail.size() > lines) tail.pop_front();
  }
  std::string text;
  for (auto& l : tail) text += "  " + l + "\n";
  return text;
}

}  // namespace

void requireZooKeeperInstalled() {
  for (const char* jar : kJars) {
    auto path = std::filesystem::path(kJavaDir) / jar;
    if (!std::filesystem::exists(path)) {
      throw std::runtime_error(fmt::format(
          "ZooKeeper is not installed: {} is missing (run scripts/install-deps)", path.string()));
    }
  }
}

std::filesystem::path serverBaseDir(const LocalZooKeeperOptions& options) {
  std::filesystem::path base = options.baseDir;
  if (base.empty()) {
    const char* env = std::getenv("SM_ZK_BASE_DIR");
    base = env && *env ? std::filesystem::path(env)
                       : std::filesystem::temp_directory_path() / "servicesmgr-zookeeper";
  }
  std::filesystem::create_directories(base);
  // Absolute, so that the servers' command lines name it the same way from anywhere.
  return std::filesystem::canonical(base);
}

std::filesystem::path makeServerDir(const LocalZooKeeperOptions& options, const std::string& stem) {
  auto pattern = (serverBaseDir(options) / (stem + "-XXXXXX")).string();
  if (!::mkdtemp(pattern.data())) {
    throw std::runtime_error(fmt::format("cannot create a folder like {}", pattern));
  }
  return pattern;
}

LocalServer::LocalServer(std::filesystem::path dir, PeerAddress self,
                         std::vector<PeerAddress> peers, const LocalZooKeeperOptions& options)
    : dir_(std::move(dir)), self_(self), options_(options) {
  requireZooKeeperInstalled();
  writeFiles(peers);
}

LocalServer::~LocalServer() {
  stop();
}

void LocalServer::writeFiles(const std::vector<PeerAddress>& peers) {
  std::filesystem::create_directories(dir_ / "data");
  const int minSession =
      options_.minSessionTimeoutMs > 0 ? options_.minSessionTimeoutMs : 2 * options_.tickTimeMs;
  std::ofstream cfg(dir_ / "zoo.cfg");
  cfg << "tickTime=" << options_.tickTimeMs << "\n"
      << "initLimit=10\n"
      << "syncLimit=5\n"
      << "dataDir=" << (dir_ / "data").string() << "\n"
      << "clientPort=" << self_.clientPort << "\n"
      << "clientPortAddress=" << self_.host << "\n"
      << "admin.enableServer=false\n"
      << "4lw.commands.whitelist=ruok,srvr,mntr,stat,cons,conf,wchs,dump,crst,srst\n"
      << "minSessionTimeout=" << minSession << "\n"
      << "maxSessionTimeout=" << options_.maxSessionTimeoutMs << "\n"
      << "forceSync=" << (options_.forceSync ? "yes" : "no") << "\n"
      << "maxClientCnxns=0\n";
  for (const auto& peer : peers) {
    cfg << "server." << peer.id << "=" << peer.host << ":" << peer.quorumPort << ":"
        << peer.electionPort << "\n";
  }
  if (!peers.empty()) std::ofstream(dir_ / "data" / "myid") << self_.id << "\n";
  std::ofstream log4j(dir_ / "log4j.properties");
  log4j << "log4j.rootLogger=WARN, FILE\n"
        << "log4j.appender.FILE=org.apache.log4j.FileAppender\n"
        << "log4j.appender.FILE.File=" << (dir_ / "zookeeper.log").string() << "\n"
        << "log4j.appender.FILE.layout=org.apache.log4j.PatternLayout\n"
        << "log4j.appender.FILE.layout.ConversionPattern=%d{ISO8601} %p [%t] %c{1}: %m%n\n";
  if (std::getenv("SM_ZK_TRACE_REQUESTS"))
    log4j << "log4j.logger.org.apache.zookeeper.server.FinalRequestProcessor=DEBUG\n";
}

void LocalServer::start() {
  if (process_.running()) return;
  std::string classPath = dir_.string();
  for (const char* jar : kJars) {
    classPath += ':';
    classPath += (std::filesystem::path(kJavaDir) / jar).string();
  }
  std::vector<std::string> argv = {
      "java",
      fmt::format("-Xmx{}m", options_.heapMb),
      "-XX:+UseSerialGC",
      "-Djava.net.preferIPv4Stack=true",
      "-cp",
      classPath,
      kMainClass,
      (dir_ / "zoo.cfg").string(),
  };
  if (!self_.netns.empty()) {
    // `ip netns exec` execs the command in place: the pid we own is the server's.
    argv.insert(argv.begin(), {"ip", "netns", "exec", self_.netns});
  }
  process_ = ServerProcess(argv, dir_ / "server.out");
  lastError_.clear();
}

bool LocalServer::waitServing(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process_.running()) {
      lastError_ =
          fmt::format("ZooKeeper server {} (port {}) exited while starting:\n{}{}", self_.id,
                      self_.clientPort, readTail(dir_ / "server.out", 10), logTail());
      return false;
    }
    if (mode()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  lastError_ = fmt::format("ZooKeeper server {} (port {}) did not serve within {} ms:\n{}",
                           self_.id, self_.clientPort, timeout.count(), logTail());
  return false;
}

void LocalServer::stop() {
  process_.stop();
}
void LocalServer::kill() {
  process_.kill();
}
void LocalServer::freeze() {
  process_.freeze();
}
void LocalServer::thaw() {
  process_.thaw();
}

std::optional<std::string> LocalServer::mode() const {
  return serverMode(self_.host, self_.clientPort);
}

std::string LocalServer::logTail(size_t lines) const {
  return readTail(dir_ / "zookeeper.log", lines);
}

}  // namespace sm::zkserver

// examples/redis against real Redis 7 servers managed by three real daemons (h1 h2 h3, address
// 127.0.0.1): the next in line is made to lag (SIGSTOP, its replication link dropped by the
// master) while writes acknowledged by the other replica (WAIT) go to the master, then the master
// is SIGKILLed. With spec.promotion the fresh replica —
// not the next in line — becomes master and no acknowledged write is lost; the lagging one follows
// it once resumed. Without it (the same file, promotion removed) the writes are lost: the test
// proves it can fail. Rounds: SM_REDIS_ROUNDS (default 3).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <optional>
#include <iostream>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/daemon/support/daemon_cluster.hpp"
#include "tests/support/wait_for.hpp"

namespace sm::test {
namespace {

using std::chrono::milliseconds;
constexpr const char* kType = "redis";
constexpr int kWrites = 20;

// A RESP connection to 127.0.0.1:port, closed by its destructor. command() sends one request and
// returns the reply's text ("" when no answer within 2 s): "+OK" -> "OK", ":3" -> "3", a bulk
// string -> its content, "-ERR x" -> "-ERR x". WAIT counts the acknowledgements of this
// connection's own writes: a SET and its WAIT go through one connection.
class RedisConnection {
 public:
  explicit RedisConnection(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return;
    timeval timeout{2, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<std::uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RedisConnection() {
    if (fd_ >= 0) ::close(fd_);
  }
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  std::string command(const std::vector<std::string>& args) {
    if (fd_ < 0) return "";
    std::string request = fmt::format("*{}\r\n", args.size());
    for (const auto& a : args) request += fmt::format("${}\r\n{}\r\n", a.size(), a);
    if (::write(fd_, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
      return "";
    }
    for (;;) {
      if (auto reply = take()) return *reply;
      char buffer[4096];
      const auto n = ::read(fd_, buffer, sizeof buffer);
      if (n <= 0) return "";
      in_.append(buffer, static_cast<std::size_t>(n));
    }
  }

 private:
  // One whole reply from the buffer, if it is there.
  std::optional<std::string> take() {
    const auto eol = in_.find("\r\n");
    if (eol == std::string::npos) return std::nullopt;
    std::string reply;
    std::size_t used = eol + 2;
    if (in_[0] != '$') {
      reply = in_[0] == '-' ? in_.substr(0, eol) : in_.substr(1, eol - 1);
    } else {
      const auto length = std::stol(in_.substr(1, eol - 1));
      if (length >= 0) {
        if (in_.size() < used + static_cast<std::size_t>(length) + 2) return std::nullopt;
        reply = in_.substr(used, static_cast<std::size_t>(length));
        used += static_cast<std::size_t>(length) + 2;
      }
    }
    in_.erase(0, used);
    return reply;
  }

  int fd_ = -1;
  std::string in_;
};

std::string redis(int port, const std::vector<std::string>& args) {
  return RedisConnection(port).command(args);
}

// A field of INFO replication ("" when it is not there).
std::string replicationField(int port, const std::string& field) {
  std::istringstream info(redis(port, {"INFO", "replication"}));
  for (std::string line; std::getline(info, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.starts_with(field + ":")) return line.substr(field.size() + 1);
  }
  return "";
}

struct Round {
  bool freshBecameMaster = false;
  int lost = 0;  // acknowledged writes missing from the master afterwards
  std::int64_t failoverMs = 0;
};

class RedisPromotion : public DaemonTest {
 protected:
  static void SetUpTestSuite() {
    DaemonTest::SetUpTestSuite();
    // The daemons inherit it: sm-redis-run and the hooks are found as the file names them.
    const char* path = std::getenv("PATH");
    ::setenv("PATH", (std::string(REDIS_EXAMPLE_DIR) + ":" + (path ? path : "")).c_str(), 1);
  }

  void TearDown() override {
    // A stopped server would not stop: resumed before the daemons stop it.
    for (const auto pid : stopped_) ::kill(pid, SIGCONT);
    DaemonTest::TearDown();
  }

  void startRedis(bool promotion) {
    std::ifstream in(REDIS_YAML);
    std::string yaml;
    bool skipping = false;
    for (std::string line; std::getline(in, line);) {
      // Without promotion: the same file, its spec.promotion block left out.
      if (!promotion && line.starts_with("  promotion:"))
        skipping = true;
      else if (skipping && !line.starts_with("    "))
        skipping = false;
      if (!skipping) yaml += line + "\n";
    }
    // Every round SIGKILLs a master: many rounds must not look like a crash loop.
    const std::string restart = "backoffMaxMs: 2000}";
    if (const auto at = yaml.find(restart); at != std::string::npos) {
      yaml.replace(at, restart.size(),
                   "backoffMaxMs: 2000, crashLoop: {failures: 1000, windowSeconds: 1}}");
    }
    for (const std::string host : {"h1", "h2", "h3"}) {
      auto options = daemonOptions(host);
      options.extraArgs = {"--address", "127.0.0.1"};
      startDaemon(options);
    }
    apply(yaml);
    ASSERT_TRUE(waitConverged(kType, 1, 3, milliseconds(30000), true));
  }

  LogicalInfo logical() {
    const auto tree = snapshot();
    const auto* type = tree.type(kType);
    return type && !type->logical.empty() ? type->logical.begin()->second : LogicalInfo{};
  }

  static int portOf(const InstanceInfo& i) {
    auto it = i.ports.find("redis");
    return it == i.ports.end() ? 0 : static_cast<int>(it->second);
  }

  std::string actingMaster() {
    const auto l = logical();
    for (const auto& [uuid, instance] : l.instances) {
      auto role = readRole(instance.host, uuid);
      if (role && services::effectiveRole(*role) == services::Role::Master) return uuid;
    }
    return "";
  }

  // Converged, and both replicas replicate from the master's server.
  bool waitReplicating(std::vector<InstanceInfo>& chain) {
    return waitFor(
        [&] {
          const auto l = logical();
          if (l.election.size() != 3 || l.instances.size() != 3) return false;
          chain.clear();
          for (const auto& e : l.election) {
            auto it = l.instances.find(e.physical);
            if (it == l.instances.end() || it->second.state != "running") return false;
            chain.push_back(it->second);
          }
          if (actingMaster() != chain[0].uuid) return false;
          const auto masterPort = std::to_string(portOf(chain[0]));
          if (replicationField(portOf(chain[0]), "role") != "master") return false;
          for (std::size_t i = 1; i < 3; ++i) {
            if (replicationField(portOf(chain[i]), "master_port") != masterPort ||
                replicationField(portOf(chain[i]), "master_link_status") != "up") {
              return false;
            }
          }
          return true;
        },
        milliseconds(30000));
  }

  int missing(int port, int round) {
    int n = 0;
    for (int k = 0; k < kWrites; ++k) {
      if (redis(port, {"GET", fmt::format("round{}:key{}", round, k)}) != fmt::format("v{}", k)) {
        ++n;
      }
    }
    return n;
  }

  Round runRound(int round, bool promotion) {
    Round result;
    std::vector<InstanceInfo> chain;
    EXPECT_TRUE(waitReplicating(chain)) << stateDump();
    if (chain.size() != 3) return result;
    const auto& master = chain[0];
    const auto& lagging = chain[1];  // the next in line
    const auto& fresh = chain[2];
    const auto laggingPid = static_cast<pid_t>(lagging.pid);
    EXPECT_EQ(::kill(laggingPid, SIGSTOP), 0);
    stopped_.push_back(laggingPid);
    // A stopped server's kernel would still take the master's stream into its socket buffer, and
    // the server would apply it once resumed: the master drops its replica links, and only the
    // running replica reconnects (it resumes its stream from its offset, a partial resync).
    EXPECT_EQ(redis(portOf(master), {"CLIENT", "KILL", "TYPE", "replica"}), "2");
    RedisConnection client(portOf(master));
    for (int k = 0; k < kWrites; ++k) {
      const auto key = fmt::format("round{}:key{}", round, k);
      EXPECT_EQ(client.command({"SET", key, fmt::format("v{}", k)}), "OK");
      // Acknowledged by the fresh replica only: the lagging one is stopped.
      EXPECT_EQ(client.command({"WAIT", "1", "5000"}), "1") << key;
    }
    const auto killed = std::chrono::steady_clock::now();
    EXPECT_EQ(::kill(static_cast<pid_t>(master.pid), SIGKILL), 0);
    std::string newMaster;
    waitFor(
        [&] {
          newMaster = actingMaster();
          return !newMaster.empty() && newMaster != master.uuid;
        },
        milliseconds(15000));
    result.failoverMs =
        std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - killed).count();
    result.freshBecameMaster = newMaster == fresh.uuid;
    // The lagging one resumes: its pending hook runs, and it follows the master.
    ::kill(laggingPid, SIGCONT);
    std::erase(stopped_, laggingPid);
    const auto& winner = newMaster == fresh.uuid ? fresh : lagging;
    const auto& other = newMaster == fresh.uuid ? lagging : fresh;
    const auto winnerPort = std::to_string(portOf(winner));
    EXPECT_TRUE(waitFor(
        [&] {
          return replicationField(portOf(winner), "role") == "master" &&
                 replicationField(portOf(other), "master_port") == winnerPort &&
                 replicationField(portOf(other), "master_link_status") == "up";
        },
        milliseconds(20000)))
        << "round " << round << ": the other server does not follow the new master\n"
        << stateDump();
    result.lost = missing(portOf(winner), round);
    if (promotion) {
      EXPECT_EQ(missing(portOf(other), round), 0) << "the resumed replica caught up";
    }
    return result;
  }

  std::vector<pid_t> stopped_;
};

TEST_F(RedisPromotion, TheFreshReplicaBecomesMasterAndNoAcknowledgedWriteIsLost) {
  const char* env = std::getenv("SM_REDIS_ROUNDS");
  const int rounds = env ? std::max(1, std::atoi(env)) : 3;
  startRedis(true);
  if (HasFatalFailure()) return;
  auto sampler = startSampler();
  std::vector<std::int64_t> times;
  for (int round = 0; round < rounds; ++round) {
    const auto r = runRound(round, true);
    EXPECT_TRUE(r.freshBecameMaster) << "round " << round << "\n" << stateDump();
    EXPECT_EQ(r.lost, 0) << "round " << round;
    times.push_back(r.failoverMs);
    if (HasFailure()) break;
    std::vector<InstanceInfo> chain;
    ASSERT_TRUE(waitReplicating(chain)) << stateDump();
  }
  std::sort(times.begin(), times.end());
  std::cout << fmt::format(
      "[redis] {} rounds with promotion: kill -> fresh replica master "
      "p50 {} ms, max {} ms\n",
      times.size(), times[times.size() / 2], times.back());
  RecordProperty("rounds", static_cast<int>(times.size()));
  RecordProperty("failover_p50_ms", static_cast<int>(times[times.size() / 2]));
  expectOneMasterThroughout(*sampler);
}

TEST_F(RedisPromotion, WithoutPromotionTheNextInLineWinsAndTheWritesAreLost) {
  startRedis(false);
  if (HasFatalFailure()) return;
  const auto r = runRound(0, false);
  EXPECT_FALSE(r.freshBecameMaster);
  EXPECT_EQ(r.lost, kWrites) << "the lagging replica became master and the fresh one resynced "
                                "from it";
  std::cout << fmt::format(
      "[redis] without promotion: lagging next in line master after {} ms, "
      "{} of {} acknowledged writes lost\n",
      r.failoverMs, r.lost, kWrites);
}

}  // namespace
}  // namespace sm::test

// The daemons' HTTP endpoints (--http) in a 3-daemon cluster, with real tools: Debian's promtool
// checks every /metrics, the local_masters gauges sum to 1 per logical service (also right after
// a master's SIGKILL), a real HAProxy health-checking /v1/master/... routes clients to the master
// and follows a failover while 300 idle connections are held open, and bad requests get 4xx.
#include <signal.h>
#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>

#include "manager/zkserver/free_port.hpp"
#include "manager/zkserver/server_process.hpp"
#include "tests/daemon/support/daemon_cluster.hpp"
#include "tests/support/debian_tool.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/wait_for.hpp"

namespace sm::test {
namespace {

using std::chrono::milliseconds;

const std::string kLogical0 = "logicalService0000000000";

class DaemonObserve : public DaemonTest {
 protected:
  // h1, h2, h3 with --http on free 127.0.0.1 ports, `services` logical services of 3 replicas,
  // one per host.
  bool startObservedCluster(int services) {
    for (const auto* host : {"h1", "h2", "h3"}) {
      auto options = daemonOptions(host);
      const int port = zkserver::freeLoopbackPort();
      options.extraArgs = {"--http", fmt::format("127.0.0.1:{}", port)};
      httpPorts_[host] = port;
      startDaemon(options, true);
      if (HasFailure()) return false;
    }
    DemoType demo;
    demo.services = services;
    demo.constraints = "    maxPerHost: 1\n";
    apply(demo);
    return waitConverged("Demo", services, 3, milliseconds(20000), true);
  }

  // servicesmgr_local_masters of one daemon: logical -> value; nullopt when it does not answer.
  std::optional<std::map<std::string, int>> localMasters(const std::string& host) {
    const auto reply = httpGet(httpPorts_.at(host), "/metrics", milliseconds(2000));
    if (reply.status != 200) return std::nullopt;
    static const std::regex line(
        R"re(servicesmgr_local_masters\{type="Demo",logical="(logicalService\d{10})"\} (\d+))re");
    std::map<std::string, int> result;
    for (std::sregex_iterator it(reply.body.begin(), reply.body.end(), line), end; it != end;
         ++it) {
      result[(*it)[1]] = std::stoi((*it)[2]);
    }
    return result;
  }

  // Summed over the three daemons; empty when one did not answer.
  std::map<std::string, int> mastersSum() {
    std::map<std::string, int> sum;
    for (const auto& [host, port] : httpPorts_) {
      auto masters = localMasters(host);
      if (!masters) return {};
      for (const auto& [logical, value] : *masters) sum[logical] += value;
    }
    return sum;
  }

  bool everySumIsOne(int services) {
    const auto sum = mastersSum();
    if (static_cast<int>(sum.size()) != services) return false;
    return std::all_of(sum.begin(), sum.end(), [](const auto& entry) { return entry.second == 1; });
  }

  // One counter or histogram sample of a daemon's /metrics (the first line starting with
  // `series`), -1 when absent.
  double sample(const std::string& host, const std::string& series) {
    const auto body = httpGet(httpPorts_.at(host), "/metrics").body;
    const auto at = body.find("\n" + series + " ");
    if (at == std::string::npos) return -1;
    return std::stod(body.substr(at + series.size() + 2));
  }

  // SIGKILLs the master process of logical service 0; returns its uuid and host, and waits until
  // another instance's role file says master with a higher epoch (5 s).
  struct Failover {
    std::string victimUuid, victimHost, successorUuid, successorHost;
  };
  std::optional<Failover> killMaster() {
    const auto before = snapshot();
    const auto& logical = before.type("Demo")->logical.at(0);
    const auto victim = *logical.master();
    const auto oldEpoch = logical.masterEntry()->sequence;
    Failover failover{victim.uuid, victim.host, "", ""};
    if (::kill(static_cast<pid_t>(victim.pid), SIGKILL) != 0) return std::nullopt;
    const bool tookOver = waitFor(
        [&] {
          for (const auto& [uuid, i] : logical.instances) {
            if (uuid == victim.uuid) continue;
            auto role = readRole(i.host, uuid);
            if (role && services::isMasterNow(*role) && role->epoch > oldEpoch) {
              failover.successorUuid = uuid;
              failover.successorHost = i.host;
              return true;
            }
          }
          return false;
        },
        milliseconds(5000), milliseconds(1));
    if (!tookOver) {
      ADD_FAILURE() << "no successor within 5 s of the SIGKILL\n" << stateDump();
      return std::nullopt;
    }
    return failover;
  }

  static std::string describe(const std::map<std::string, int>& sums) {
    std::string out;
    for (const auto& [logical, sum] : sums) out += fmt::format("{}={} ", logical, sum);
    return out.empty() ? "(a daemon did not answer)" : out;
  }

  std::map<std::string, int> httpPorts_;  // host id -> its daemon's HTTP port
};

TEST_F(DaemonObserve, PromtoolAcceptsMetricsAndMastersSumToOneAcrossAFailover) {
  const auto promtool = findTool("promtool");
  if (!promtool) GTEST_SKIP() << "promtool (Debian package prometheus) is not installed";
  ASSERT_TRUE(startObservedCluster(2));

  ASSERT_TRUE(waitFor([&] { return everySumIsOne(2); }, milliseconds(5000), milliseconds(20)))
      << "local_masters do not sum to 1 per logical service\n" << stateDump();
  for (const auto& [host, port] : httpPorts_) {
    const auto reply = httpGet(port, "/metrics");
    ASSERT_EQ(reply.status, 200) << host;
    const auto file = testDir_ / ("metrics-" + host + ".txt");
    std::ofstream(file) << reply.body;
    const auto run = runTool({*promtool, "check", "metrics"}, testDir_ / "promtool.out", file);
    EXPECT_EQ(run.exitCode, 0) << host << ": " << run.output;
    EXPECT_EQ(run.output, "") << host << ": promtool's lint found problems";
    EXPECT_EQ(httpGet(port, "/healthz").status, 200) << host;
    EXPECT_EQ(httpGet(port, "/readyz").status, 200) << host;
  }

  auto failover = killMaster();
  ASSERT_TRUE(failover);
  // Right after the failover: the new master's daemon counts it, the old one's no longer does.
  EXPECT_TRUE(waitFor([&] { return everySumIsOne(2); }, milliseconds(2000), milliseconds(10)))
      << "local_masters do not sum to 1 per logical service after the failover: "
      << describe(mastersSum()) << "\n" << stateDump();
  const auto successorMasters = localMasters(failover->successorHost);
  ASSERT_TRUE(successorMasters);
  EXPECT_EQ(successorMasters->at(kLogical0), 1);
  EXPECT_GE(sample(failover->successorHost, "servicesmgr_failover_seconds_count"), 1);
  // The killed process restarts in place: its daemon counts the restart.
  EXPECT_TRUE(waitFor([&] {
    return sample(failover->victimHost, "servicesmgr_restarts_total{type=\"Demo\"}") >= 1;
  }, milliseconds(5000), milliseconds(20)));
  // And the instance it restarted is a secondary there now.
  EXPECT_TRUE(waitFor([&] {
    return httpGet(httpPorts_.at(failover->victimHost), "/v1/secondary/Demo/0").status == 200;
  }, milliseconds(10000), milliseconds(20)));
}

TEST_F(DaemonObserve, HaproxyRoutesToTheMasterAndFollowsAFailoverWhileIdleConnectionsAreHeld) {
  const auto haproxy = findTool("haproxy");
  if (!haproxy) GTEST_SKIP() << "haproxy (Debian package haproxy) is not installed";
  ASSERT_TRUE(startObservedCluster(1));

  // One backend server per instance (the demo's "http" port), checked on its host's daemon.
  const auto tree = snapshot();
  const auto& logical = tree.type("Demo")->logical.at(0);
  const int frontend = zkserver::freeLoopbackPort();
  std::string servers;
  for (const auto& [uuid, i] : logical.instances) {
    servers += fmt::format("  server {} 127.0.0.1:{} check port {}\n", i.host, i.ports.at("http"),
                           httpPorts_.at(i.host));
  }
  const auto config = testDir_ / "haproxy.cfg";
  std::ofstream(config) << fmt::format(
      "global\n"
      "  maxconn 256\n"
      "defaults\n"
      "  mode tcp\n"
      // Also HAProxy's pause before a retry (min(timeout connect, 1 s)).
      "  timeout connect 200ms\n"
      "  timeout client 5s\n"
      "  timeout server 5s\n"
      "  timeout check 1s\n"
      "frontend clients\n"
      "  bind 127.0.0.1:{}\n"
      "  default_backend master\n"
      "backend master\n"
      // A connection refused by a master that just died goes to the next server at once.
      "  option redispatch 1\n"
      "  retries 2\n"
      "  option httpchk GET /v1/master/Demo/{}\n"
      "  http-check expect status 200\n"
      "  default-server inter 100ms fastinter 100ms downinter 100ms rise 1 fall 1 "
      "on-marked-down shutdown-sessions\n"
      "{}",
      frontend, kLogical0, servers);
  const auto check = runTool({*haproxy, "-c", "-f", config.string()}, testDir_ / "haproxy-c.out");
  ASSERT_EQ(check.exitCode, 0) << check.output;
  // In the foreground (-db): its PID is the one we stop.
  zkserver::SpawnOptions spawn;
  spawn.searchPath = false;
  zkserver::ServerProcess proxy({*haproxy, "-db", "-f", config.string()},
                                testDir_ / "haproxy.log", spawn);

  // What the client reaches through HAProxy: the demo's ROLE line, which names its instance.
  auto answer = [&] { return askLine(frontend, "ROLE", milliseconds(1500)); };
  auto isMasterAnswer = [](const std::string& line, const std::string& uuid) {
    return line.find("\"role\":\"master\"") != std::string::npos &&
           line.find("\"physicalId\":\"" + uuid + "\"") != std::string::npos;
  };
  // `count` answers in a row from `uuid` as master.
  auto inARow = [&](const std::string& uuid, int count, std::vector<std::string>* seen) {
    for (int n = 0; n < count; ++n) {
      const auto line = answer();
      if (seen) seen->push_back(line);
      if (!isMasterAnswer(line, uuid)) return false;
    }
    return true;
  };
  // HAProxy starts with every server up until its first check: settled once the master alone
  // answers (round robin over three would show the others).
  const auto master = logical.master()->uuid;
  ASSERT_TRUE(waitFor([&] { return inARow(master, 6, nullptr); }, milliseconds(5000),
                      milliseconds(20)))
      << "HAProxy does not reach the master " << master << " alone: " << answer() << "\n"
      << readWholeFile(testDir_ / "haproxy.log");

  // 100 idle connections to each daemon's endpoint, held through the failover.
  std::vector<int> idle;
  for (const auto& [host, port] : httpPorts_) {
    for (int n = 0; n < 100; ++n) {
      const int fd = connectIdle(port);
      ASSERT_GE(fd, 0) << host;
      idle.push_back(fd);
    }
  }

  const auto killedAt = std::chrono::steady_clock::now();
  auto failover = killMaster();
  ASSERT_TRUE(failover);
  // The bound: HAProxy checks every 100 ms; the new master's endpoint says 200 as soon as its
  // role file says master. 3 s leaves room for a loaded machine. Switched = the new master alone
  // answers (the old one's server is down: no refused connection either).
  constexpr auto kSwitchBound = milliseconds(3000);
  std::vector<std::string> seen;
  ASSERT_TRUE(waitFor([&] { return inARow(failover->successorUuid, 6, &seen); }, kSwitchBound,
                      milliseconds(5)))
      << "HAProxy did not route to the new master " << failover->successorUuid << " alone within "
      << kSwitchBound.count() << " ms of the SIGKILL; it answers: " << answer() << "\n"
      << readWholeFile(testDir_ / "haproxy.log");
  std::cout << "SIGKILL -> HAProxy routes to the new master alone: "
            << std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - killedAt)
                   .count()
            << " ms (" << seen.size() << " answers on the way)\n";
  // On the way, a client got a master's answer or none (a refused connection), never a
  // secondary's.
  for (const auto& line : seen) {
    EXPECT_TRUE(line.empty() || line.find("\"role\":\"master\"") != std::string::npos) << line;
  }
  // Once switched, every answer comes from the new master (the restarted one is a secondary).
  for (int n = 0; n < 50; ++n) {
    const auto line = answer();
    EXPECT_TRUE(isMasterAnswer(line, failover->successorUuid)) << "answer " << n << ": " << line;
  }
  // The daemons kept serving with the idle connections held.
  for (const auto& [host, port] : httpPorts_) {
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(httpGet(port, "/metrics", milliseconds(2000)).status, 200) << host;
    EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(1000)) << host;
  }
  for (int fd : idle) ::close(fd);
  proxy.terminate(milliseconds(5000));
}

TEST_F(DaemonObserve, InstancesLogsAndBadRequests) {
  ASSERT_TRUE(startObservedCluster(1));
  const auto tree = snapshot();
  const auto& logical = tree.type("Demo")->logical.at(0);
  const auto& [uuid, instance] = *logical.instances.begin();
  const int port = httpPorts_.at(instance.host);

  const auto instances = httpGet(port, "/v1/instances");
  EXPECT_EQ(instances.status, 200);
  EXPECT_NE(instances.body.find(uuid), std::string::npos) << instances.body;

  // The demo prints its pid and port at start.
  const auto logs = httpGet(port, "/v1/logs/" + uuid + "?tail=5");
  EXPECT_EQ(logs.status, 200) << logs.body;
  EXPECT_NE(logs.body.find(fmt::format("sm-demo-service pid={}", instance.pid)), std::string::npos)
      << logs.body;

  // servicesctl logs: the host from the tree, its endpoint from hosts/<id>, the log from there.
  const auto fetched = ctl({"logs", "Demo", uuid, "--tail", "5"});
  EXPECT_EQ(fetched.exitCode, 0) << fetched.err;
  EXPECT_NE(fetched.out.find(fmt::format("sm-demo-service pid={}", instance.pid)),
            std::string::npos)
      << fetched.out;
  const auto unknown = ctl({"logs", "Demo", "00000000-0000-4000-8000-000000000000"});
  EXPECT_NE(unknown.exitCode, 0);
  EXPECT_NE(unknown.err.find("no running instance"), std::string::npos) << unknown.err;

  EXPECT_EQ(httpGet(port, "/v1/logs/not-a-uuid").status, 400);
  EXPECT_EQ(httpGet(port, "/v1/logs/" + uuid + "?tail=1000000000").status, 400);
  EXPECT_EQ(httpGet(port, "/v1/logs/" + uuid + "?tail=" + std::string(5000, '9')).status, 400);
  EXPECT_EQ(httpGet(port, "/v1/logs/00000000-0000-4000-8000-000000000000").status, 404);
  EXPECT_EQ(httpGet(port, "/v1/master/Demo/not-a-logical").status, 400);
  EXPECT_EQ(httpGet(port, "/v1/master/..%2F..%2Fx/0").status, 400);
  EXPECT_EQ(httpGet(port, "/v1/master/NoSuchType/0").status, 503);
  EXPECT_EQ(sendRaw(port, "DELETE /v1/instances HTTP/1.0\r\n\r\n").rfind("HTTP/1.1 405", 0), 0u);
  // Exactly one daemon says master, the two others secondary.
  int masters = 0, secondaries = 0;
  for (const auto& [host, p] : httpPorts_) {
    masters += httpGet(p, "/v1/master/Demo/0").status == 200;
    secondaries += httpGet(p, "/v1/secondary/Demo/0").status == 200;
  }
  EXPECT_EQ(masters, 1);
  EXPECT_EQ(secondaries, 2);
}

// Without --http a host publishes no endpoint: servicesctl logs says so instead of failing vaguely.
TEST_F(DaemonObserve, LogsFromAHostWithoutAnEndpointSayWhy) {
  ASSERT_TRUE(startSpreadDemo());
  const auto tree = snapshot();
  const auto& [uuid, instance] = *tree.type("Demo")->logical.at(0).instances.begin();
  const auto result = ctl({"logs", "Demo", uuid});
  EXPECT_NE(result.exitCode, 0);
  EXPECT_NE(result.err.find("publishes no HTTP endpoint"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("--http"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace sm::test

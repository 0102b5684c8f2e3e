// Cluster-wide locks held by the daemons for their managed processes (manager/daemon/lock_server,
// docs/locks.md): real servicesmgr daemons, real ZooKeeper, sm-lock-test-worker and sm-lock as the
// managed processes.
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "services/lock_client.hpp"
#include "tests/daemon/support/daemon_cluster.hpp"
#include "tests/daemon/support/lock_worker_events.hpp"
#include "tests/support/wait_for.hpp"

namespace sm::test {
namespace {

using std::chrono::milliseconds;
namespace fs = std::filesystem;

std::string readText(const fs::path& file) {
  std::ifstream in(file);
  std::stringstream text;
  text << in.rdbuf();
  auto s = text.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// Files of `dir` whose name ends with `suffix`.
std::vector<fs::path> filesEnding(const fs::path& dir, const std::string& suffix) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().filename().string().ends_with(suffix)) out.push_back(entry.path());
  }
  return out;
}

class DaemonLocks : public DaemonTest {
 protected:
  void SetUp() override {
    DaemonTest::SetUp();
    shared_ = testDir_ / "shared";
    fs::create_directories(shared_);
  }

  // A type of sm-lock-test-worker processes in `mode`.
  std::string workerType(const std::string& type, int replicas, const std::string& mode,
                         int maxPerHost, int rounds = 200) const {
    return fmt::format(
        "apiVersion: servicesmgr/v1\n"
        "kind: ServiceType\n"
        "metadata:\n"
        "  name: {}\n"
        "spec:\n"
        "  serviceCount: 1\n"
        "  replicationCount: {}\n"
        "  command: [\"{}\"]\n"
        "  env: {{LOCK_WORKER_MODE: \"{}\", LOCK_WORKER_NAME: \"shared-resource\",\n"
        "        LOCK_WORKER_DIR: \"{}\", LOCK_WORKER_ROUNDS: \"{}\"}}\n"
        "  constraints:\n"
        "    maxPerHost: {}\n"
        "  restart: {{policy: always, backoffInitialMs: 100, backoffMaxMs: 1000}}\n"
        "  stop: {{signal: SIGTERM, timeoutMs: 2000}}\n",
        type, replicas, SM_LOCK_WORKER, mode, shared_.string(), rounds, maxPerHost);
  }

  std::vector<std::string> lockChildren(const std::string& name) {
    auto session = connect();
    auto names = session->children(layout().resourceLock(name));
    return names ? *names : std::vector<std::string>{};
  }

  fs::path eventsFile() const { return shared_ / "events"; }

  // `replicas` workers of the type Holders in `hold` mode, one per daemon: `first` is the first
  // "held" they write, once every one of them is in the lock's queue (the others wait behind it).
  void holdersQueued(int replicas, LockEvent& first) {
    apply(workerType("Holders", replicas, "hold", 1));
    ASSERT_TRUE(waitFor([&] { return !readLockEvents(eventsFile()).empty(); }, milliseconds(20000)))
        << stateDump();
    first = readLockEvents(eventsFile()).front();
    ASSERT_EQ(first.kind, "held");
    ASSERT_TRUE(waitFor([&] {
      return lockChildren("shared-resource").size() == static_cast<std::size_t>(replicas);
    })) << "not every worker queued";
  }

  fs::path shared_;
};

TEST_F(DaemonLocks, FiveProcessesOnThreeDaemonsNeverHoldAtOnce) {
  startDaemons({"h1", "h2", "h3"});
  apply(workerType("Mutex", 5, "mutex", 2));
  std::vector<fs::path> done;
  const bool finished = waitFor(
      [&] {
        done = filesEnding(shared_, ".done");
        return done.size() == 5;
      },
      milliseconds(50000), milliseconds(20));
  ASSERT_TRUE(finished) << done.size() << " of 5 workers finished\n" << stateDump();
  for (const auto& file : done) EXPECT_EQ(readText(file), "ok 200") << file;
  // "- <last token> <count>": every acquisition went through the shared file.
  std::istringstream state(readText(shared_ / "state"));
  std::string holder;
  long long last = 0;
  long long count = 0;
  state >> holder >> last >> count;
  EXPECT_EQ(holder, "-");
  EXPECT_EQ(count, 1000);
  // On three daemons (maxPerHost 2), and nothing left queued once every worker released.
  std::set<std::string> hosts;
  const auto tree = snapshot();
  for (const auto& [uuid, instance] : tree.type("Mutex")->logical.begin()->second.instances) {
    hosts.insert(instance.host);
  }
  EXPECT_EQ(hosts.size(), 3u);
  EXPECT_TRUE(waitFor([&] { return lockChildren("shared-resource").empty(); }));
}

TEST_F(DaemonLocks, KilledHolderIsReleasedAtOnce) {
  startDaemons({"h1", "h2"});
  LockEvent first;
  ASSERT_NO_FATAL_FAILURE(holdersQueued(2, first));
  const auto events = eventsFile();
  const auto killedAt = services::lockClockNowNs();
  ASSERT_EQ(::kill(static_cast<pid_t>(first.pid), SIGKILL), 0);
  LockEvent next;
  ASSERT_TRUE(waitFor(
      [&] {
        for (const auto& e : readLockEvents(events)) {
          if (e.kind == "held" && e.pid != first.pid) next = e;
        }
        return next.pid != 0;
      },
      milliseconds(5000), milliseconds(1)))
      << stateDump();
  EXPECT_GT(next.token, first.token);
  std::cout << "holder SIGKILLed -> next holder: " << (next.atNs - killedAt) / 1000 << " us\n";
  // Well under the session timeout (3 s): the daemon released it, not the session's end.
  EXPECT_LT(next.atNs - killedAt, 1'000'000'000ull);
}

TEST_F(DaemonLocks, FrozenDaemonsHolderLearnsLostBeforeAnyoneElseHolds) {
  startDaemons({"h1", "h2"});
  LockEvent first;
  ASSERT_NO_FATAL_FAILURE(holdersQueued(2, first));
  const auto events = eventsFile();
  auto& frozen = daemon(first.rest);
  frozen.signal(SIGSTOP);
  LockEvent next;
  const bool tookOver = waitFor(
      [&] {
        for (const auto& e : readLockEvents(events)) {
          if (e.kind == "held" && e.pid != first.pid) next = e;
        }
        return next.pid != 0;
      },
      milliseconds(15000), milliseconds(2));
  frozen.signal(SIGCONT);
  ASSERT_TRUE(tookOver) << "nobody held the lock after the holder's daemon froze\n" << stateDump();
  LockEvent lost;
  for (const auto& e : readLockEvents(events)) {
    if (e.kind == "lost" && e.pid == first.pid) lost = e;
  }
  ASSERT_EQ(lost.kind, "lost") << "the frozen daemon's holder never learned it lost the lock";
  EXPECT_LT(lost.atNs, next.atNs) << "the old holder learned it lost the lock "
                                  << (lost.atNs - next.atNs) / 1000000 << " ms after "
                                  << "the new one held it";
  EXPECT_GT(next.token, first.token);
  std::cout << "old holder told lost " << (next.atNs - lost.atNs) / 1000000
            << " ms before the next holder held (" << lost.rest << ")\n";
}

// ZooKeeper goes away under a holder: its daemon tells it `lost` when the connection drops, not
// when the lease or the session runs out.
class DaemonLocksOutage : public DaemonLocks {
 protected:
  // The binary's server is shared by its tests: it serves again afterwards, whatever happened.
  void TearDown() override {
    if (!server().server().running()) server().server().start();
    EXPECT_TRUE(waitSessionReads());
    DaemonLocks::TearDown();
  }
};

TEST_F(DaemonLocksOutage, ConnectionLossTellsTheHolderLostAtOnce) {
  startDaemons({"h1"});
  LockEvent held;
  ASSERT_NO_FATAL_FAILURE(holdersQueued(1, held));
  const auto events = eventsFile();
  const auto stoppedAt = services::lockClockNowNs();
  server().server().stop();
  LockEvent lost;
  const bool told = waitFor(
      [&] {
        for (const auto& e : readLockEvents(events)) {
          if (e.kind == "lost" && e.pid == held.pid) lost = e;
        }
        return lost.pid != 0;
      },
      milliseconds(10000), milliseconds(2));
  server().server().start();
  ASSERT_TRUE(told) << "the holder was never told";
  // "the daemon lost its ZooKeeper connection", well before its lease (2.25 s) could pass.
  EXPECT_NE(lost.rest.find("connection"), std::string::npos) << lost.rest;
  EXPECT_LT(lost.atNs - stoppedAt, 1'500'000'000ull);
  std::cout << "ZooKeeper stopped -> holder told lost: " << (lost.atNs - stoppedAt) / 1000000
            << " ms\n";
  EXPECT_TRUE(daemon("h1").running());
}

TEST_F(DaemonLocks, BadInputIsRefusedAndLeavesNothing) {
  startDaemons({"h1"});
  apply(workerType("BadInput", 1, "badinput", 1));
  std::vector<fs::path> results;
  ASSERT_TRUE(waitFor(
      [&] {
        results = filesEnding(shared_, ".badinput");
        return !results.empty();
      },
      milliseconds(30000)))
      << stateDump();
  EXPECT_EQ(readText(results.front()), "ok");
  // No znode leaked: a directory only for the names that were held (it keeps their counter),
  // nothing for a refused name, and no contender left once everything was released.
  auto session = connect();
  std::set<std::string> allowed{"after-bad-input", "c-api"};
  for (int i = 0; i < 64; ++i) allowed.insert("many-" + std::to_string(i));
  auto contendersLeft = [&] {
    std::size_t count = 0;
    const auto names = session->children(layout().resourceLocksDir());
    for (const auto& name : names.value_or(std::vector<std::string>{})) {
      EXPECT_TRUE(allowed.contains(name)) << name;
      const auto contenders = session->children(layout().resourceLock(name));
      count += contenders ? contenders->size() : 0;
    }
    return count;
  };
  EXPECT_EQ(
      session->children(layout().resourceLocksDir()).value_or(std::vector<std::string>{}).size(),
      allowed.size());
  EXPECT_EQ(contendersLeft(), 0u);

  // A process this daemon does not manage (the test itself) is refused, with the reason.
  std::string error;
  try {
    services::LockClient outsider((workDir("h1") / "run" / "daemon.sock").string());
    outsider.tryAcquire("outsider");
  } catch (const services::LockError& e) {
    error = e.what();
  }
  EXPECT_NE(error.find("not a process this daemon manages"), std::string::npos) << error;
  EXPECT_TRUE(daemon("h1").running());
  EXPECT_TRUE(hostLive("h1"));
  EXPECT_EQ(contendersLeft(), 0u);
  EXPECT_FALSE(session->exists(layout().resourceLock("outsider")));
}

TEST_F(DaemonLocks, SmLockRunsTheCommandWithTheToken) {
  startDaemons({"h1"});
  const auto tokenFile = shared_ / "token";
  apply(fmt::format(
      "apiVersion: servicesmgr/v1\n"
      "kind: ServiceType\n"
      "metadata:\n"
      "  name: Locked\n"
      "spec:\n"
      "  serviceCount: 1\n"
      "  replicationCount: 1\n"
      "  command: [\"{}\", \"nightly-job\", \"--timeout\", \"10s\", \"--\", \"/bin/sh\", \"-c\",\n"
      "            \"echo $SM_LOCK_NAME $SM_LOCK_TOKEN > {}.tmp && mv {}.tmp {} && exec sleep "
      "600\"]\n"
      "  restart: {{policy: always, backoffInitialMs: 100, backoffMaxMs: 1000}}\n"
      "  stop: {{signal: SIGTERM, timeoutMs: 2000}}\n",
      SM_LOCK_COMMAND, tokenFile.string(), tokenFile.string(), tokenFile.string()));
  ASSERT_TRUE(waitFor([&] { return !readText(tokenFile).empty(); }, milliseconds(20000)))
      << stateDump();
  std::istringstream words(readText(tokenFile));
  std::string name;
  long long token = -1;
  words >> name >> token;
  EXPECT_EQ(name, "nightly-job");
  EXPECT_GE(token, 0);

  // servicesctl get locks: name, holder, token, waiters, held for; and -o json.
  CtlResult table;
  ASSERT_TRUE(waitFor([&] {
    table = ctl({"get", "locks"});
    return table.exitCode == 0 && table.out.find("nightly-job") != std::string::npos &&
           table.out.find("Locked") != std::string::npos;
  })) << table.out
      << table.err;
  EXPECT_NE(table.out.find("NAME"), std::string::npos) << table.out;
  EXPECT_NE(table.out.find(std::to_string(token)), std::string::npos) << table.out;
  const auto json = ctl({"get", "locks", "-o", "json"});
  ASSERT_EQ(json.exitCode, 0) << json.err;
  EXPECT_NE(json.out.find("\"token\": " + std::to_string(token)), std::string::npos) << json.out;
  EXPECT_NE(json.out.find("\"host\": \"h1\""), std::string::npos) << json.out;
  const auto described = ctl({"describe", "Locked"});
  EXPECT_NE(described.out.find("nightly-job"), std::string::npos) << described.out;
}

}  // namespace
}  // namespace sm::test

// Acceptance 7 (invariant I5): a converged cluster makes no ZooKeeper reads or writes beyond pings
// and master-lease renewals. Measured at the server: `mntr`'s per-namespace counters for the test's
// own first path component must not move at all, and `cons`' last client xid of each daemon's
// connection (any request moves it; pings do not) may move only by the lease renewals: one round
// trip per quarter of the session timeout, outside the root.
#include <random>
#include <regex>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "manager/zkserver/four_letter_word.hpp"
#include "tests/daemon/support/daemon_cluster.hpp"
#include "tests/support/wait_for.hpp"

namespace sm::test {
namespace {

using std::chrono::milliseconds;

class DaemonIdle : public DaemonTest {
 protected:
  struct Counters {
    long long reads = 0;
    long long writes = 0;
    std::map<std::string, std::string> lastXidBySession;  // sid -> lcxid
    bool operator==(const Counters&) const = default;
    std::string str() const {
      std::string out = fmt::format("reads {} writes {}", reads, writes);
      for (const auto& [sid, xid] : lastXidBySession) out += " " + sid + ":" + xid;
      return out;
    }
  };

  // Counters of the namespace (first path component of the root) and the last xid of the given
  // sessions' connections.
  Counters read(const std::string& ns, const std::set<std::string>& sessions) {
    Counters c;
    auto mntr = zkserver::fourLetterWord(server().port(), "mntr");
    EXPECT_TRUE(mntr.has_value()) << "mntr did not answer";
    if (mntr) {
      std::istringstream lines(*mntr);
      std::string line;
      while (std::getline(lines, line)) {
        const auto tab = line.find('\t');
        if (tab == std::string::npos) continue;
        const std::string key = line.substr(0, tab);
        if (key == "zk_cnt_" + ns + "_read_per_namespace")
          c.reads = std::stoll(line.substr(tab + 1));
        if (key == "zk_cnt_" + ns + "_write_per_namespace")
          c.writes = std::stoll(line.substr(tab + 1));
      }
    }
    auto cons = zkserver::fourLetterWord(server().port(), "cons");
    EXPECT_TRUE(cons.has_value()) << "cons did not answer";
    if (cons) {
      static const std::regex connection("sid=(0x[0-9a-f]+).*lcxid=(0x[0-9a-f]+)");
      std::istringstream lines(*cons);
      std::string line;
      while (std::getline(lines, line)) {
        std::smatch m;
        if (std::regex_search(line, m, connection) && sessions.count(m[1].str())) {
          c.lastXidBySession[m[1].str()] = m[2].str();
        }
      }
    }
    return c;
  }
};

TEST_F(DaemonIdle, ConvergedClusterMakesNoZooKeeperRequests) {
  std::random_device random;
  const std::string ns = fmt::format("idle{:08x}{:08x}", random(), random());
  useRoot("/" + ns);
  DemoType demo;
  demo.services = 2;
  demo.replicas = 3;
  ASSERT_TRUE(startDaemonsAndConverge(demo, milliseconds(15000)));

  // The daemons' sessions, from their host nodes (read before the window).
  std::set<std::string> sessions;
  std::map<std::string, pid_t> daemonPids;
  for (const std::string host : {"h1", "h2", "h3"}) {
    auto stat = session_->exists(layout().host(host));
    ASSERT_TRUE(stat.has_value());
    sessions.insert(fmt::format("0x{:x}", stat->ephemeralOwner));
    daemonPids[host] = daemon(host).pid();
  }
  // From here on the test itself sends nothing under the root. Settle: the root's counters stay
  // unchanged for 2 s (convergence may still finish a status write or two).
  Counters last = read(ns, sessions);
  auto stableSince = std::chrono::steady_clock::now();
  const bool settled = waitFor(
      [&] {
        Counters now = read(ns, sessions);
        const bool underRootChanged = now.reads != last.reads || now.writes != last.writes;
        last = now;
        if (underRootChanged) {
          stableSince = std::chrono::steady_clock::now();
          return false;
        }
        return std::chrono::steady_clock::now() - stableSince >= milliseconds(2000);
      },
      milliseconds(20000), milliseconds(100));
  ASSERT_TRUE(settled) << "the daemons never stopped talking to ZooKeeper for 2 s: " << last.str();
  std::cout << "settled: " << last.str() << "\n";
  // The counters must be the ones of this root: apply and the daemons wrote under it.
  EXPECT_GT(last.writes, 0) << "no write counted for namespace " << ns << ": wrong mntr key?";
  EXPECT_EQ(last.lastXidBySession.size(), 3u)
      << "not every daemon session found in `cons`: " << last.str();

  auto cpuTicks = [&](pid_t pid) {
    const std::string stat = readFile(fmt::format("/proc/{}/stat", pid));
    std::istringstream in(stat.substr(stat.rfind(')') + 2));
    std::string field;
    long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && in >> field; ++i) {
      if (i == 14) utime = std::stoll(field);
      if (i == 15) stime = std::stoll(field);
    }
    return utime + stime;
  };
  std::map<std::string, long long> cpuBefore;
  for (const auto& [host, pid] : daemonPids) cpuBefore[host] = cpuTicks(pid);

  // The 10 s window (polled, so that a request shows at once).
  const Counters start = last;
  Counters seen = start;
  const auto windowStart = std::chrono::steady_clock::now();
  const bool changed = waitFor(
      [&] {
        seen = read(ns, sessions);
        return seen.reads != start.reads || seen.writes != start.writes;
      },
      milliseconds(10000), milliseconds(500));
  const auto at =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - windowStart);
  EXPECT_FALSE(changed) << "ZooKeeper requests from idle daemons " << at.count()
                        << " ms into the window:\n  before " << start.str() << "\n  after  "
                        << seen.str();
  // Requests of any kind per daemon session: at most the lease renewals (every quarter of the
  // session timeout, plus one for the edges of the window).
  const long long renewals = at.count() / (daemonOptions("h1").sessionTimeoutMs / 4) + 2;
  for (const auto& [sid, xid] : seen.lastXidBySession) {
    const long long requests =
        std::stoll(xid, nullptr, 16) - std::stoll(start.lastXidBySession.at(sid), nullptr, 16);
    EXPECT_LE(requests, renewals) << "session " << sid << " sent " << requests
                                  << " requests in the idle window, more than lease renewals";
  }
  const long long ticksPerSecond = ::sysconf(_SC_CLK_TCK);
  for (const auto& [host, pid] : daemonPids) {
    const long long used = cpuTicks(pid) - cpuBefore[host];
    std::cout << host << " used " << used * 1000 / ticksPerSecond << " ms of CPU in " << at.count()
              << " ms idle\n";
    EXPECT_LT(used * 1000 / ticksPerSecond, at.count() / 20)
        << host << " used more than 5% of a CPU while idle";
  }
  EXPECT_EQ(convergenceProblem(snapshot(), "Demo", 2, 3), "") << "not converged after the window";
}

}  // namespace
}  // namespace sm::test

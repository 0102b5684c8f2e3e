#pragma once
// The chaos suite's judge. A thread reads every role file many times a second, and the tree (with
// the owner session of each ephemeral node) and the demo-service processes of the run several times
// a second, and records a violation of:
// - I1: two processes of one logical service both master (lease valid on this host's monotonic
//   clock, process alive) at one instant, or a master epoch lower than one already seen;
// - I3: a managed process whose daemon is dead (orphan), one running unregistered in the tree for
//   longer than the lease plus its stop time while its daemon runs, a physicalService or election
//   node whose owner session is not its daemon's live session or whose process is gone (ghost),
//   past a grace bound; a physicalService node `restarting` (pid 0) has no process on purpose while
//   its daemon restarts it in place, so only its owner session counts (staying `restarting` fails
//   convergence);
// - I7: more registered live replicas of a logical service on one host than maxPerHost;
// - two live processes of one identity (uuid) at once: a persistent instance started again while
//   its previous process still ran, anywhere.
// Convergence (I2) is asked for by the suite after each fault: convergenceProblem().
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "config/layout.hpp"
#include "manager/zk/session.hpp"
#include "tests/chaos/chaos_tree.hpp"

namespace sm::test::chaos {

struct TypeSpec {
  std::string name;
  int services = 1;
  int replicas = 1;
  int maxPerHost = 0;  // 0: no limit
  bool persistent = false;
};

// What the cluster says about one host at the moment of the question.
struct HostState {
  std::string hostId;
  pid_t daemonPid = -1;
  bool daemonAlive = false;
  bool daemonFrozen = false;            // SIGSTOPped by the suite
  std::optional<std::int64_t> session;  // the daemon's live session (from its tap)
  std::filesystem::path workDir;
};

// The role file the daemon of the host with this work dir writes for an instance.
std::filesystem::path roleFileOf(const std::filesystem::path& workDir, const std::string& uuid);

struct CheckerOptions {
  std::string zroot;
  std::string demoBinary;
  std::vector<TypeSpec> types;
  std::function<std::vector<HostState>()> hosts;
  std::chrono::milliseconds rolePeriod{10};
  std::chrono::milliseconds treePeriod{200};
  // A process of a dead daemon may live this long (PR_SET_PDEATHSIG is asynchronous).
  std::chrono::milliseconds orphanGrace{3000};
  // A process may run unregistered this long while its daemon runs (lease + stop timeout + slack).
  std::chrono::milliseconds unregisteredGrace{7000};
  // A znode may outlive its session or process this long (session timeout + tick + slack).
  std::chrono::milliseconds ghostGrace{6000};
  std::chrono::milliseconds forcedCloseAllowance{1000};
};

struct Violation {
  int round = 0;
  // two-masters, epoch-regression, orphan, unregistered, ghost, constraint, two-processes
  std::string kind;
  std::string what;
};

class Checker {
 public:
  Checker(std::shared_ptr<zk::Session> session, CheckerOptions options);
  ~Checker();
  Checker(const Checker&) = delete;
  Checker& operator=(const Checker&) = delete;

  void setRound(int round) { round_ = round; }
  // The suite ended this host's session from outside (attach and close): for a short while that
  // is not an expiry the lease can cover (the successor is elected at once, while the daemon learns
  // of it only on its next round trip), so two masters involving this host are recorded as a note
  // (notes()), not a violation, within `forcedCloseAllowance`.
  void noteForcedClose(const std::string& hostId);
  void stop();
  std::vector<Violation> violations() const;
  std::vector<Violation> notes() const;
  std::size_t roleSamples() const { return roleSamples_; }
  std::size_t treeSamples() const { return treeSamples_; }

  // Empty when every type has its services x replicas registered and running, distinct hosts
  // where maxPerHost is 1, everyone in the election, the first member's role file master (lease
  // valid, epoch = its sequence), every other one secondary, and no managed process outside the
  // tree. Else what is wrong.
  std::string convergenceProblem();
  // The tree, the processes and every instance's role file, for failure messages.
  std::string dump();

 private:
  struct Process {
    pid_t pid = 0;
    pid_t ppid = 0;
    std::string uuid;
    std::string logical;  // "<type>/logicalService<seq>"
    std::string host;
  };
  struct Since {
    std::chrono::steady_clock::time_point last{};
    std::chrono::milliseconds held{0};
    bool reported = false;
  };

  void run();
  void sampleRoles();
  void sampleTree();
  std::vector<Process> scanProcesses() const;
  std::optional<Process> processOf(pid_t pid) const;
  // Adds the time since the last call to `key`'s counter while `holds` (and `counting`), resets it
  // otherwise; true once it passes `grace` (reported once).
  bool heldTooLong(std::map<std::string, Since>& table, const std::string& key, bool holds,
                   bool counting, std::chrono::milliseconds grace,
                   std::chrono::steady_clock::time_point now);
  // Records a violation (or a note); one with a non-empty `once` key only the first time.
  bool recentlyForcedClosed(const std::string& hostId) const;
  void record(const std::string& kind, const std::string& what, const std::string& once = "",
              bool asNote = false);

  std::shared_ptr<zk::Session> session_;
  CheckerOptions options_;
  config::Layout layout_;
  std::atomic<int> round_{0};

  mutable std::mutex mutex_;
  std::vector<Violation> violations_;
  std::vector<Violation> notes_;
  std::map<std::string, std::chrono::steady_clock::time_point> forcedClose_;  // by host
  std::set<std::string> reported_;
  // uuid -> process of it (pid, logical service), learnt from /proc.
  std::map<std::string, Process> known_;
  std::map<std::string, std::pair<std::int64_t, std::string>> topEpoch_;  // logical -> epoch, uuid
  std::map<std::string, Since> orphans_, unregistered_, ghosts_;
  std::chrono::steady_clock::time_point lastTree_{};
  std::atomic<std::size_t> roleSamples_{0};
  std::atomic<std::size_t> treeSamples_{0};
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace sm::test::chaos

#pragma once
// The pieces of sm-bench-daemon: `servicesmgr` daemons and `servicesctl` run as children of the
// bench (PR_SET_PDEATHSIG, stopped and reaped by their own PID), the tree as an outside client
// reads it (paths from config::Layout, data through the config decoders only), the daemons' role
// files, and the server's per-namespace request counters.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/layout.hpp"
#include "config/physical_service_data.hpp"
#include "manager/zk/node_reader.hpp"
#include "manager/zk/session.hpp"
#include "manager/zkserver/server_process.hpp"
#include "services/role.hpp"

namespace sm::bench::daemon {

// A child process owned by its PID: stdout and stderr appended to `log`, stdin /dev/null, killed
// with the bench (PR_SET_PDEATHSIG; fork from the main thread only), reaped by its PID only.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::filesystem::path& log);
  ~Child();  // kill() if still running
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  const std::filesystem::path& log() const { return log_; }
  bool running() { return process_.running(); }  // reaps it if it has exited
  // The exit code (128 + signal when killed), or nullopt if it still runs after the timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout) { return process_.waitExit(timeout); }
  // SIGTERM, SIGKILL after `grace`; returns the exit code.
  int terminate(std::chrono::milliseconds grace);
  int kill() { return process_.kill(); }  // SIGKILL and reap
  void signal(int sig) const { process_.signal(sig); }

 private:
  std::filesystem::path log_;
  zkserver::ServerProcess process_;
  pid_t pid_ = -1;  // kept after the process is reaped
};

// Runs a command to its end (output to `log`); returns the exit code (-1 after the timeout, when it
// is killed).
int runCommand(const std::vector<std::string>& argv, const std::filesystem::path& log,
               std::chrono::milliseconds timeout);

// Direct children of the bench that it did not start: managed processes re-parented to it (it is a
// child subreaper) because their daemon died. `known` are the bench's own children.
std::vector<pid_t> orphans(const std::set<pid_t>& known);
// Reaps orphans that have exited; with `killLive`, SIGKILLs (by PID) and reaps the live ones too.
// Returns the live ones found (before killing them).
std::vector<pid_t> collectOrphans(const std::set<pid_t>& known, bool killLive);

// A fresh folder /tmp/sm-bench-<bench>-XXXXXX for a bench's logs and work dirs; nullopt (said on
// stderr) when it cannot be made.
std::optional<std::filesystem::path> makeTempDir(const std::string& bench);

// /proc/<pid>/status VmRSS in kB (0 if gone); direct children of a pid; utime+stime in ticks.
long rssKb(pid_t pid);
std::vector<pid_t> childrenOf(pid_t pid);
long long cpuTicks(pid_t pid);
// The command names (/proc/<pid>/comm) of a process's live children, counted.
std::map<std::string, int> childCommands(pid_t pid);
// A process's command name (/proc/<pid>/comm); "" once it has exited (a zombie too).
std::string commandOf(pid_t pid);
std::string lastLines(const std::filesystem::path& file, size_t lines);

// A session that counts the reads the server will count for its namespace: every successful
// getData and getChildren (a missing node is not counted by the server either).
class Reader : public zk::NodeReader {
 public:
  explicit Reader(std::shared_ptr<zk::Session> session) : session_(std::move(session)) {}
  std::optional<zk::Node> get(const std::string& path) override;
  std::optional<std::vector<std::string>> children(const std::string& path) override;
  zk::Session& session() { return *session_; }
  long long reads() const { return reads_; }

 private:
  std::shared_ptr<zk::Session> session_;
  long long reads_ = 0;
};

// How long a failure round leaves the cluster alone before its kill: the waiter or successor has
// settled (read its queue, watches its predecessor), and the kill strikes an idle cluster, as a
// failure in production does.
constexpr std::chrono::milliseconds kSettledBeforeKill{100};

// ZooKeeper's delete -> another session's watch callback, in microseconds: `samples` of them after
// `warmup` not counted, on two sessions of their own under `root` (removed after). The baseline
// every daemon figure is a ratio to, measured in the same run (as sm-bench-zk-baseline does). With
// `idleBefore`, each delete comes after that long with nothing to do, as a round's kill does
// (kSettledBeforeKill); back to back, every thread of the server and of both clients stays awake,
// which on a VM whose idle CPUs halt measures a floor no failure sees.
std::vector<double> watchBaseline(
    const std::string& hosts, const std::string& root, int samples, int warmup,
    std::chrono::milliseconds idleBefore = std::chrono::milliseconds(0));

struct Instance {
  std::string uuid;
  std::string host;
  std::int64_t pid = 0;
  config::PhysicalState state = config::PhysicalState::Starting;
};

struct Member {
  std::int64_t sequence = 0;
  std::string physical;  // the physical service's uuid, from the child's name
};

struct Logical {
  std::int64_t sequence = 0;
  std::map<std::string, Instance> instances;  // registered, by uuid
  std::vector<Member> election;               // by sequence: the first is master
};

// The logical services of one type, as the tree's one reader (manager/model) shows them
// (undecodable data is an error string in `problems`).
std::vector<Logical> readType(Reader& reader, const config::Layout& layout, const std::string& type,
                              std::vector<std::string>* problems);

struct DaemonSet {
  std::string zk;
  std::string root;
  std::filesystem::path dir;  // work dirs and logs go here
  int sessionTimeoutMs = 2000;
  std::string logLevel = "warn";
};

// servicesmgr daemons by host id. A restarted host gets a fresh work dir.
class Cluster {
 public:
  explicit Cluster(DaemonSet set);
  ~Cluster();  // stop(): graceful, then by force
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  const DaemonSet& set() const { return set_; }
  config::Layout layout() const { return config::Layout(set_.root); }
  void start(const std::string& hostId);
  // Waits until hosts/<id> exists for each id; false after the timeout.
  bool waitReady(zk::Session& session, const std::vector<std::string>& hostIds,
                 std::chrono::milliseconds timeout);
  Child& daemon(const std::string& hostId) { return *daemons_.at(hostId); }
  std::vector<std::string> hostIds() const;
  std::filesystem::path workDir(const std::string& hostId) const { return workDirs_.at(hostId); }
  std::filesystem::path instancesDir(const std::string& hostId) const {
    return workDir(hostId) / "instances";
  }
  std::filesystem::path roleFile(const std::string& hostId, const std::string& uuid) const;
  std::optional<services::RoleInfo> role(const std::string& hostId, const std::string& uuid) const;
  // The pids of the daemons (running or not yet reaped).
  std::set<pid_t> pids() const;
  // Graceful stop of every daemon (SIGTERM, SIGKILL after `grace`); returns the exit codes.
  std::map<std::string, int> stop(std::chrono::milliseconds grace);
  // A daemon SIGKILLed: forgotten (reaped), its host id free for start() again.
  void killed(const std::string& hostId);
  // Everything about the daemons' logs for an error message.
  std::string logs(size_t lines = 25) const;

 private:
  DaemonSet set_;
  std::map<std::string, std::unique_ptr<Child>> daemons_;
  std::map<std::string, std::filesystem::path> workDirs_;
  std::vector<std::filesystem::path> oldLogs_;
  int starts_ = 0;
};

// Empty when the type has `services` logical services, each with `replicas` running registered
// instances all in the election, and the role files agree with the tree (the first member's says
// master with its sequence as epoch and a valid lease, the others secondary). Else what is wrong.
std::string convergenceProblem(const std::vector<Logical>& logical, int services, int replicas,
                               const Cluster& cluster);

// The server's per-namespace counters (`mntr`: zk_cnt_<ns>_read_per_namespace and
// zk_cnt_<ns>_write_per_namespace; absent until the first request means 0), and its last zxid.
// The namespace counter counts nodes: each node a write creates, deletes or sets, each operation
// of a multi() on its own. The zxid counts transactions (`srvr`): every write request takes one,
// a multi() once whatever its size, a failed write too; a session's creation and close take one
// each. Transactions are what the leader proposes and logs, and what a server's write capacity is
// measured in. Server-wide: a difference means something only while one cluster writes.
struct NamespaceCounters {
  long long reads = 0;
  long long writes = 0;
  long long transactions = 0;  // the last zxid's counter
};
NamespaceCounters namespaceCounters(int port, const std::string& ns);
// The counters once they have not moved for `quiet` (waiting at most `cap`); `waitedMs`, if given,
// gets how long they kept moving.
NamespaceCounters settle(int port, const std::string& ns, std::chrono::milliseconds quiet,
                         std::chrono::milliseconds cap, double* waitedMs = nullptr);

// Where the writes under a root went, from the znodes that are left: per path pattern (names with
// sequence numbers, uuids and host ids replaced by '*'), the sum of data versions (setData calls)
// and of child versions (children created plus deleted). Deleted nodes' own sets are not seen.
struct WriteTrace {
  long long sets = 0;
  long long childChanges = 0;
  long long nodes = 0;
};
std::map<std::string, WriteTrace> writeTrace(zk::Session& session, const std::string& root);

// A service type of sm-demo-service in YAML.
std::string demoTypeYaml(const std::string& name, int services, int replicas, int maxPerHost,
                         int stopTimeoutMs);

}  // namespace sm::bench::daemon

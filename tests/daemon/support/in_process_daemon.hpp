#pragma once
// The daemon's I/O parts (LocalInstances, Placer, ConfigMonitor) in the test's own process, against
// the binary's real ZooKeeper server. Everything in servicesmgr runs on one loop thread and other
// threads only post to its LoopInbox, so the test can BE that loop: it takes the inbox's batches,
// hands the events to the parts exactly as Daemon::handle does, and runs the pass it is given when
// a batch asks for one (a watch fired, a timer is due). Processes are children of the test (the
// supervisor forks them); shutdown() stops them all and reports any that still runs.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/layout.hpp"
#include "config/service_type.hpp"
#include "manager/daemon/config_monitor.hpp"
#include "manager/daemon/context.hpp"
#include "manager/daemon/daemon_parts.hpp"
#include "manager/daemon/host_registry.hpp"
#include "manager/daemon/local_instances.hpp"
#include "manager/daemon/loop_inbox.hpp"
#include "manager/daemon/placer.hpp"
#include "manager/zk/session.hpp"
#include "services/role.hpp"
#include "tests/support/zookeeper_fixture.hpp"

namespace sm::test {

class InProcessDaemon {
 public:
  struct Options {
    std::string zk;    // the fixture's hosts()
    std::string root;  // the federation's root, fresh per test
    std::string hostId = "h1";
    std::filesystem::path workDir;
    std::chrono::milliseconds sessionTimeout{3000};
  };
  // Returns when the next pass is due even if nothing wakes the loop (nullopt: only a wake-up).
  using Pass = std::function<std::optional<std::chrono::steady_clock::time_point>()>;

  // Connects a session (with the daemon's connection listener), installs it and ensures the key
  // znodes, as Daemon::connect does. The parts are made at once; nothing runs until pumped.
  explicit InProcessDaemon(Options options);
  ~InProcessDaemon();
  InProcessDaemon(const InProcessDaemon&) = delete;
  InProcessDaemon& operator=(const InProcessDaemon&) = delete;

  daemon::LocalInstances& instances() { return parts_->instances; }
  daemon::Placer& placer() { return parts_->placer; }
  daemon::ConfigMonitor& monitor() { return parts_->monitor; }
  daemon::HostRegistry& hostRegistry() { return parts_->hosts; }
  const config::Layout& layout() const { return context.layout; }
  std::shared_ptr<zk::Session> session() const { return context.session(); }

  // Reads the tree through the cache between beginPass()/endPass(), as Daemon::pass does; the
  // whole tree, or (`focused`) only what the daemon's own focus covers, as Daemon::pass reads it.
  model::ClusterSnapshot snapshot(bool focused = false);
  // Daemon::pass's parts, each alone: tick + placement, and the config monitor.
  // `longPasses`: as the daemon's own loop passes it while this host holds a type's monitor.
  Pass placementPass(bool longPasses = false, bool focused = false);
  Pass monitorPass();
  // planInstances applied to this host's instances (stop, update, rewrite).
  Pass instancesPass();
  // tick, then this host's persistent identities started again and registered under them, and
  // those forgotten with --purge-data purged.
  Pass identitiesPass();

  // Applies one event as Daemon::handle does; true when a pass should follow.
  bool handle(const daemon::LoopEvent& event);
  // Applies events one at a time, in the order they were posted, and stops right after the first
  // one `stopAfter` matches (true); the events behind it stay pending. False when none came in
  // time.
  bool handleThrough(const std::function<bool(const daemon::LoopEvent&)>& stopAfter,
                     std::chrono::milliseconds timeout);
  // The loop: takes batches, applies their events, runs `pass` whenever a batch wants one (a
  // wake-up, or the time the last pass asked to be run again), until `done` holds. False when it
  // does not hold in time. A pass that throws fails the caller (nothing retries here).
  bool pumpUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                 const Pass& pass = {});
  // The loop for a fixed number of passes, each after the inbox's next batch (at most `wait`).
  void runPasses(int passes, const Pass& pass,
                 std::chrono::milliseconds wait = std::chrono::milliseconds(200));

  // A ConnectionEvent said the session expired (Daemon's sessionLost_).
  bool sessionLost() const { return sessionLost_; }
  // Every pid a Started event reported.
  const std::vector<pid_t>& startedPids() const { return pids_; }
  // Longest pass run so far.
  std::chrono::steady_clock::duration longestPass() const { return longestPass_; }
  int passes() const { return passCount_; }

  // Stops every instance (stopAll waits for each process), leaves the queues, closes the session.
  // Returns the started pids still alive a moment later (there should be none). Idempotent.
  std::vector<pid_t> shutdown();

  daemon::LoopInbox inbox;  // first: the context's wake-up posts to it
  daemon::DaemonContext context;

 private:
  void take(std::optional<std::chrono::steady_clock::time_point> until);
  std::optional<std::chrono::steady_clock::time_point> runPass(const Pass& pass);

  std::unique_ptr<daemon::DaemonParts> parts_;
  std::vector<daemon::LoopEvent> pending_;  // taken from the inbox, not yet applied
  bool passPending_ = false;
  bool sessionLost_ = false;
  bool shutDown_ = false;
  std::vector<pid_t> pids_;
  std::chrono::steady_clock::duration longestPass_{};
  int passCount_ = 0;
};

// A test with in-process daemons on the binary's server: federation root <test root>/sm, work dirs
// under SM_DAEMON_RUN_DIR. TearDown shuts every daemon down before the root goes, and fails the
// test if a process it started still runs.
class InProcessDaemonTest : public ZooKeeperTest {
 protected:
  void TearDown() override;
  InProcessDaemon& startDaemon(const std::string& hostId);
  std::filesystem::path workDir(const std::string& hostId) const;
  std::string zroot() const { return path("sm"); }
  const config::Layout& layout() const { return layout_; }

 private:
  config::Layout layout_{"/unused"};
  std::vector<std::unique_ptr<InProcessDaemon>> daemons_;
};

// Matchers for handleThrough().
std::function<bool(const daemon::LoopEvent&)> processEvent(supervisor::InstanceEvent::Kind kind,
                                                           const std::string& uuid);
std::function<bool(const daemon::LoopEvent&)> electionEvent(daemon::ElectionEvent::Kind kind,
                                                            const std::string& uuid);
std::function<bool(const daemon::LoopEvent&)> connectionEvent(daemon::ConnectionEvent::Kind kind);

// sm-demo-service as a type: `services` × `replicas`, restarted in place (policy always, 100 ms
// backoff), one port "http", SIGTERM with a 2 s stop timeout.
config::ServiceType demoType(const std::string& name, std::int64_t services, std::int64_t replicas);
// Writes config/<name> (created, or replaced with the next generation).
void writeType(zk::Session& session, const config::Layout& layout, const config::ServiceType& type);
// A logical service as the config monitor makes it: its node, physicalServices/, election/ and its
// create-lock, in one multi().
void createLogical(zk::Session& session, const config::Layout& layout,
                   const config::LogicalServiceId& id);

// <workDir>/instances/<uuid>.role.json, parsed; nullopt when absent or unreadable.
std::optional<services::RoleInfo> readRole(const std::filesystem::path& workDir,
                                           const std::string& uuid);
// Children of `path` on the server (after a sync), empty when it does not exist.
std::vector<std::string> childrenOf(zk::Session& session, const std::string& path);
bool processAlive(pid_t pid);

}  // namespace sm::test

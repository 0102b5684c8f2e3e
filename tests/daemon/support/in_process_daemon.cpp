#include "tests/daemon/support/in_process_daemon.hpp"

#include <signal.h>

#include <algorithm>
#include <fstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "config/create_lock_data.hpp"
#include "config/logical_service_data.hpp"
#include "config/root_data.hpp"
#include "config/service_type_codec.hpp"
#include "manager/model/tree_reader.hpp"
#include "manager/zk/error.hpp"
#include "manager/zk/op.hpp"
#include "manager/zk/uuid.hpp"
#include "tests/support/wait_for.hpp"

namespace sm::test {

namespace {

using Clock = std::chrono::steady_clock;

daemon::DaemonOptions daemonOptions(const InProcessDaemon::Options& o) {
  daemon::DaemonOptions options;
  options.zk = o.zk;
  options.root = o.root;
  options.hostId = o.hostId;
  options.address = "127.0.0.1";
  options.workDir = o.workDir.string();
  options.dataDir = (o.workDir / "data").string();
  options.sessionTimeout = o.sessionTimeout;
  return options;
}

}  // namespace

InProcessDaemon::InProcessDaemon(Options options)
    : context(daemonOptions(options), [this] { inbox.wake(); }, [this] { inbox.wakeSoon(); }) {
  std::filesystem::create_directories(options.workDir / "instances");
  parts_ = std::make_unique<daemon::DaemonParts>(context, inbox);
  // As Daemon::connect does.
  zk::SessionOptions session;
  session.hosts = options.zk;
  session.sessionTimeout = options.sessionTimeout;
  session.connectTimeout = std::chrono::milliseconds(10000);
  parts_->install(zk::Session::connect(session));
}

InProcessDaemon::~InProcessDaemon() {
  shutdown();
}

model::ClusterSnapshot InProcessDaemon::snapshot(bool focused) {
  auto& tree = context.tree();
  tree.beginPass();
  model::ReadScope scope;
  if (focused) scope.focus = parts_->focus();
  auto snapshot = model::readSnapshot(tree, context.layout, scope);
  tree.endPass();
  return snapshot;
}

InProcessDaemon::Pass InProcessDaemon::placementPass(bool longPasses, bool focused) {
  return [this, longPasses, focused]() -> std::optional<Clock::time_point> {
    const auto nowMs = daemon::wallNowMs();
    auto snap = snapshot(focused);
    parts_->instances.tick(nowMs);
    parts_->instances.followMasters(snap);
    return parts_->placer.reconcile(snap, nowMs, longPasses);
  };
}

InProcessDaemon::Pass InProcessDaemon::monitorPass() {
  return [this]() -> std::optional<Clock::time_point> {
    parts_->monitor.reconcile(snapshot(), daemon::wallNowMs());
    return std::nullopt;
  };
}

InProcessDaemon::Pass InProcessDaemon::instancesPass() {
  return [this]() -> std::optional<Clock::time_point> {
    parts_->reconcileInstances(snapshot());
    return std::nullopt;
  };
}

InProcessDaemon::Pass InProcessDaemon::identitiesPass() {
  return [this]() -> std::optional<Clock::time_point> {
    const auto nowMs = daemon::wallNowMs();
    parts_->instances.tick(nowMs);
    const auto view = snapshot();
    parts_->resumeIdentities(view, nowMs);
    parts_->purgeIdentities(view);
    return std::nullopt;
  };
}

bool InProcessDaemon::handle(const daemon::LoopEvent& event) {
  if (const auto* process = std::get_if<daemon::ProcessEvent>(&event)) {
    if (process->event.kind == supervisor::InstanceEvent::Kind::Started) {
      pids_.push_back(process->event.pid);
    }
  }
  return parts_->handle(event, sessionLost_);
}

void InProcessDaemon::take(std::optional<Clock::time_point> until) {
  auto batch = inbox.wait(until);
  for (auto& event : batch.events) pending_.push_back(std::move(event));
  passPending_ = passPending_ || batch.passWanted;
}

bool InProcessDaemon::handleThrough(const std::function<bool(const daemon::LoopEvent&)>& stopAfter,
                                    std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    while (!pending_.empty()) {
      const auto event = pending_.front();
      pending_.erase(pending_.begin());
      passPending_ = handle(event) || passPending_;
      if (stopAfter(event)) return true;
    }
    if (Clock::now() >= deadline) return false;
    take(deadline);
  }
}

std::optional<Clock::time_point> InProcessDaemon::runPass(const Pass& pass) {
  const auto start = Clock::now();
  auto until = pass();
  longestPass_ = std::max(longestPass_, Clock::now() - start);
  ++passCount_;
  return until;
}

bool InProcessDaemon::pumpUntil(const std::function<bool()>& done,
                                std::chrono::milliseconds timeout, const Pass& pass) {
  const auto deadline = Clock::now() + timeout;
  std::optional<Clock::time_point> until;
  for (;;) {
    // Events first: a process exit or a new master does not wait for a pass.
    while (!pending_.empty()) {
      const auto event = pending_.front();
      pending_.erase(pending_.begin());
      passPending_ = handle(event) || passPending_;
    }
    if (passPending_ && pass) {
      passPending_ = false;
      until = runPass(pass);
    }
    if (done()) return true;
    const auto now = Clock::now();
    if (now >= deadline) return false;
    // Bounded, so that a condition on something no watch reports is looked at again.
    auto bound = std::min(deadline, now + std::chrono::milliseconds(100));
    if (until && *until < bound) bound = std::max(*until, now);
    take(bound);
  }
}

void InProcessDaemon::runPasses(int passes, const Pass& pass, std::chrono::milliseconds wait) {
  for (int i = 0; i < passes; ++i) {
    take(Clock::now() + wait);
    while (!pending_.empty()) {
      const auto event = pending_.front();
      pending_.erase(pending_.begin());
      handle(event);
    }
    passPending_ = false;
    runPass(pass);
  }
}

std::vector<pid_t> InProcessDaemon::shutdown() {
  if (shutDown_) return {};
  shutDown_ = true;
  // As Daemon::shutdown does.
  parts_->leave();
  if (auto session = context.session()) {
    session->close();
    session->drain();
  }
  parts_.reset();
  std::vector<pid_t> alive;
  waitFor(
      [&] {
        alive.clear();
        for (pid_t pid : pids_) {
          if (processAlive(pid)) alive.push_back(pid);
        }
        return alive.empty();
      },
      std::chrono::milliseconds(2000));
  return alive;
}

void InProcessDaemonTest::TearDown() {
  for (auto& daemon : daemons_) {
    const auto alive = daemon->shutdown();
    EXPECT_TRUE(alive.empty()) << "managed processes of " << daemon->context.options.hostId
                               << " still run after stopAll: "
                               << fmt::format("{}", fmt::join(alive, " "));
  }
  daemons_.clear();
  ZooKeeperTest::TearDown();
}

InProcessDaemon& InProcessDaemonTest::startDaemon(const std::string& hostId) {
  layout_ = config::Layout(zroot());
  const auto dir = workDir(hostId);
  std::filesystem::remove_all(dir);
  daemons_.push_back(
      std::make_unique<InProcessDaemon>(InProcessDaemon::Options{hosts(), zroot(), hostId, dir}));
  return *daemons_.back();
}

std::filesystem::path InProcessDaemonTest::workDir(const std::string& hostId) const {
  return std::filesystem::path(SM_DAEMON_RUN_DIR) / "inproc" / root().substr(1) / hostId;
}

std::function<bool(const daemon::LoopEvent&)> processEvent(supervisor::InstanceEvent::Kind kind,
                                                           const std::string& uuid) {
  return [kind, uuid](const daemon::LoopEvent& event) {
    const auto* p = std::get_if<daemon::ProcessEvent>(&event);
    return p && p->event.kind == kind && p->event.instanceId == uuid;
  };
}

std::function<bool(const daemon::LoopEvent&)> electionEvent(daemon::ElectionEvent::Kind kind,
                                                            const std::string& uuid) {
  return [kind, uuid](const daemon::LoopEvent& event) {
    const auto* e = std::get_if<daemon::ElectionEvent>(&event);
    return e && e->kind == kind && e->uuid == uuid;
  };
}

std::function<bool(const daemon::LoopEvent&)> connectionEvent(daemon::ConnectionEvent::Kind kind) {
  return [kind](const daemon::LoopEvent& event) {
    const auto* c = std::get_if<daemon::ConnectionEvent>(&event);
    return c && c->kind == kind;
  };
}

config::ServiceType demoType(const std::string& name, std::int64_t services,
                             std::int64_t replicas) {
  config::ServiceType type;
  type.name = name;
  type.spec.serviceCount = services;
  type.spec.replicationCount = replicas;
  type.spec.command = {SM_DEMO_SERVICE};
  type.spec.restart.policy = config::RestartPolicy::Always;
  type.spec.restart.backoffInitialMs = 100;
  type.spec.restart.backoffMaxMs = 1000;
  type.spec.stop.timeoutMs = 2000;
  type.spec.ports = {"http"};
  return type;
}

void writeType(zk::Session& session, const config::Layout& layout,
               const config::ServiceType& type) {
  const auto path = layout.serviceType(type.name);
  if (auto node = session.get(path)) {
    auto stored = config::decodeServiceType(node->data, path);
    const auto generation = stored ? stored.value().generation + 1 : 1;
    session.set(path, config::encodeServiceType(type, generation));
  } else {
    session.create(path, config::encodeServiceType(type, 1));
  }
}

void createLogical(zk::Session& session, const config::Layout& layout,
                   const config::LogicalServiceId& id) {
  session.multi({zk::Op::create(layout.logicalService(id),
                                config::encodeLogicalServiceData({zk::newUuid(), 0})),
                 zk::Op::create(layout.physicalServicesDir(id), ""),
                 zk::Op::create(layout.electionDir(id), ""),
                 zk::Op::create(layout.createPhysicalServiceLock(id),
                                config::encodeCreateLockData({layout.logicalService(id)}))});
}

std::optional<services::RoleInfo> readRole(const std::filesystem::path& workDir,
                                           const std::string& uuid) {
  return services::readRoleFile((workDir / "instances" / (uuid + ".role.json")).string());
}

std::vector<std::string> childrenOf(zk::Session& session, const std::string& path) {
  session.sync(path);
  auto names = session.children(path);
  if (!names) return {};
  std::sort(names->begin(), names->end());
  return *names;
}

bool processAlive(pid_t pid) {
  if (pid <= 0 || ::kill(pid, 0) != 0) return false;
  // A zombie runs nothing; the supervisor reaps its children, so it would not stay one.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  std::getline(stat, line);
  const auto paren = line.rfind(')');
  return paren == std::string::npos || paren + 2 >= line.size() || line[paren + 2] != 'Z';
}

}  // namespace sm::test

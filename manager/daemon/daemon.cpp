#include "manager/daemon/daemon.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "config/root_data.hpp"
#include "manager/daemon/process_template.hpp"
#include "manager/daemon/reconcile/instance_plan.hpp"
#include "manager/daemon/snapshot_reader.hpp"
#include "manager/zk/error.hpp"

namespace sm::daemon {

namespace {
constexpr std::chrono::milliseconds kRetryMin{200};
constexpr std::chrono::milliseconds kRetryMax{5000};
// Load and free memory are re-measured this often, and only when some type's constraints use them.
constexpr std::chrono::seconds kMetricsInterval{5};

bool usesHostMetrics(const ClusterSnapshot& snapshot) {
  for (const auto& [name, type] : snapshot.types) {
    if (!type.stored) continue;
    const auto& c = type.stored->type.spec.constraints;
    if (c.minFreeMemoryMB > 0 || c.maxLoadAverage) return true;
  }
  return false;
}
}  // namespace

Daemon::Daemon(DaemonOptions options)
    : context_(std::move(options), [this] { inbox_.wake(); }) {}

Daemon::~Daemon() = default;

void Daemon::requestStop() {
  inbox_.requestStop();
}

void Daemon::report(const std::string& path, const std::string& error) {
  // Once per znode and message: a bad node stays bad until someone fixes it, and the log must not
  // repeat it on every pass.
  if (reported_.emplace(path, error).second) {
    spdlog::error("skipping {}: {}", path, error);
  }
}

bool Daemon::connect(const std::function<void()>& onRetry) {
  auto delay = kRetryMin;
  const auto& options = context_.options;
  while (!inbox_.stopping()) {
    try {
      zk::SessionOptions session;
      session.hosts = options.zk;
      session.sessionTimeout = options.sessionTimeout;
      session.connectTimeout = options.sessionTimeout;
      session.credentials = options.credentials;
      if (options.credentialsOnlyRead) session.defaultAcl = zk::creatorAllAcl();
      auto s = zk::Session::connect(session);
      std::weak_ptr<zk::Session> weak = s;
      s->addStateListener([this, weak](zk::SessionState state) {
        using Kind = ConnectionEvent::Kind;
        if (state == zk::SessionState::Expired || state == zk::SessionState::AuthFailed) {
          inbox_.post(ConnectionEvent{Kind::Expired, weak});
        } else if (state == zk::SessionState::Connecting) {
          inbox_.post(ConnectionEvent{Kind::Lost, weak});
        } else if (state == zk::SessionState::Connected) {
          inbox_.post(ConnectionEvent{Kind::Back, weak});
        }
      });
      context_.setSession(s);
      // Its first Connected came before the listener could see it.
      instances_->connectionBack();
      // The root gets its document, as servicesctl would write it.
      const auto& layout = context_.layout;
      for (const auto& path : layout.keyZnodes()) {
        s->ensurePath(path, path == layout.root()
                                ? config::encodeRootData({config::federationName(layout)})
                                : "");
      }
      spdlog::info("connected to ZooKeeper {} (session 0x{:x}, timeout {} ms), root {}",
                   s->connectedHost(), s->id(), s->negotiatedTimeout().count(), options.root);
      return true;
    } catch (const zk::ZkError& e) {
      spdlog::warn("cannot reach ZooKeeper at {}: {}; retrying in {} ms", options.zk, e.what(),
                   delay.count());
      if (onRetry) onRetry();
      inbox_.waitForStop(delay);
      delay = std::min(delay * 2, kRetryMax);
    }
  }
  return false;
}

int Daemon::run() {
  const auto& options = context_.options;
  std::error_code ec;
  std::filesystem::create_directories(instancesDir(options), ec);
  if (ec) {
    // Not fatal: every start tries again, and its failure shows in the types' status.
    spdlog::error("cannot create the work directory {}: {}; instances cannot start until it can",
                  instancesDir(options), ec.message());
  }
  instances_ = std::make_unique<LocalInstances>(context_, inbox_);
  hosts_ = std::make_unique<HostRegistry>(context_);
  monitor_ = std::make_unique<ConfigMonitor>(context_);
  placer_ = std::make_unique<Placer>(context_, *instances_);
  if (!connect()) return 0;
  try {
    hosts_->registerHost();
  } catch (const HostIdTaken& e) {
    spdlog::error("{}", e.what());
    context_.session()->close();
    return 1;
  }
  spdlog::info("servicesmgr {} ready (work dir {})", options.hostId, options.workDir);

  auto retry = kRetryMin;
  std::optional<std::chrono::steady_clock::time_point> until;
  while (!inbox_.stopping()) {
    auto batch = inbox_.wait(until);
    if (inbox_.stopping()) break;
    bool passWanted = batch.passWanted;
    try {
      // Events first: a process exit or a new master must not wait for a pass.
      for (const auto& event : batch.events) passWanted = handle(event) || passWanted;
      if (sessionLost_) {
        onSessionLost();
        passWanted = true;
      }
      if (inbox_.stopping()) break;
      if (!passWanted) continue;
      until = pass();
      retry = kRetryMin;
    } catch (const zk::ZkError& e) {
      if (e.isSessionLost()) {
        sessionLost_ = true;
        inbox_.wake();
        continue;
      }
      // A connection loss: the session may come back; look again shortly (a reconnect wakes us).
      spdlog::warn("reconcile pass failed: {}; retrying in {} ms", e.what(), retry.count());
      until = std::chrono::steady_clock::now() + retry;
      retry = std::min(retry * 2, kRetryMax);
    } catch (const std::exception& e) {
      // Not ZooKeeper's (a full disk, a failed spawn): the daemon keeps serving and tries again.
      spdlog::error("reconcile pass failed: {}; retrying in {} ms", e.what(), retry.count());
      until = std::chrono::steady_clock::now() + retry;
      retry = std::min(retry * 2, kRetryMax);
    }
  }
  shutdown();
  return 0;
}

bool Daemon::handle(const LoopEvent& event) {
  if (const auto* process = std::get_if<ProcessEvent>(&event)) {
    instances_->handle(*process);
    return true;
  }
  if (const auto* election = std::get_if<ElectionEvent>(&event)) {
    instances_->handle(*election);
    return true;
  }
  if (const auto* lease = std::get_if<LeaseEvent>(&event)) {
    instances_->handle(*lease);
    return false;  // role files only: nothing for a pass
  }
  const auto& connection = std::get<ConnectionEvent>(event);
  // News of a session already replaced must not touch its successor.
  if (context_.session() != connection.session.lock()) return false;
  switch (connection.kind) {
    case ConnectionEvent::Kind::Lost:
      instances_->connectionLost();
      return false;
    case ConnectionEvent::Kind::Back:
      instances_->connectionBack();
      return true;
    case ConnectionEvent::Kind::Expired:
      instances_->connectionLost();
      sessionLost_ = true;
      return true;
  }
  return true;
}

std::optional<std::chrono::steady_clock::time_point> Daemon::pass() {
  auto& tree = context_.tree();
  const auto nowMs = wallNowMs();
  tree.beginPass();
  auto snapshot = readSnapshot(
      tree, context_.layout, [this](const auto& path, const auto& error) { report(path, error); });
  tree.endPass();

  instances_->tick(nowMs);
  monitor_->reconcile(snapshot, nowMs);
  for (const auto& action : planInstances(snapshot, instances_->views())) {
    switch (action.kind) {
      case InstanceAction::Kind::Stop:
        instances_->stop(action.uuid, action.reason);
        break;
      case InstanceAction::Kind::Update:
        instances_->update(action.uuid, action.data);
        break;
      case InstanceAction::Kind::Rewrite:
        instances_->rewrite(action.uuid);
        break;
    }
  }
  instances_->followMasters(snapshot);
  auto until = placer_->reconcile(snapshot, nowMs);

  const auto now = std::chrono::steady_clock::now();
  const bool watchMetrics = usesHostMetrics(snapshot);
  const bool refreshMetrics = watchMetrics && now >= nextMetrics_;
  if (refreshMetrics) nextMetrics_ = now + kMetricsInterval;
  const auto hostDue = hosts_->update(instances_->runningCount(),
                                      instances_->failures().cooldowns(nowMs), refreshMetrics);

  // Timers: a delayed contention, a backoff or cooldown that ends, the next metrics check.
  auto later = [&](std::chrono::steady_clock::time_point t) {
    if (!until || t < *until) until = t;
  };
  if (auto expiry = instances_->failures().nextExpiry(nowMs)) {
    later(now + std::chrono::milliseconds(*expiry - nowMs));
  }
  if (watchMetrics) later(nextMetrics_);
  if (auto deadline = instances_->survivorDeadline()) later(*deadline);
  if (hostDue) later(*hostDue);
  return until;
}

void Daemon::onSessionLost() {
  sessionLost_ = false;
  const auto old = context_.session();
  spdlog::error(
      "ZooKeeper session 0x{:x} expired: opening a new one; instances still needed are registered "
      "again, the rest stopped",
      old ? old->id() : 0);
  instances_->orphanAll();
  monitor_->forgetAll();
  placer_->forgetAll();
  // Closed, so that nothing of it (ephemeral nodes, callbacks) outlives the decision to replace it.
  if (old) old->close();
  // Survivors wait unregistered at most one session timeout (the longest a registered process
  // can outlive its manager's session unnoticed), counted until a new session exists too.
  const auto bound = context_.options.sessionTimeout;
  const auto lost = std::chrono::steady_clock::now();
  if (!connect([&] {
        if (std::chrono::steady_clock::now() - lost >= bound) {
          instances_->stopSurvivors("ZooKeeper unreachable");
        }
      })) {
    return;
  }
  instances_->setSurvivorDeadline(std::chrono::steady_clock::now() + bound);
  try {
    hosts_->registerHost();
  } catch (const HostIdTaken& e) {
    spdlog::error("{}", e.what());
    inbox_.requestStop();
  }
}

void Daemon::shutdown() {
  spdlog::info("stopping: handing over masters, stopping instances");
  instances_->stopAll();
  auto session = context_.session();
  // Cut off from ZooKeeper, leaving politely could wait for a connection per node: the session's
  // end removes them all the same.
  if (session && session->connected()) {
    try {
      placer_->leaveAll();
      monitor_->leaveAll();
      hosts_->unregister();
    } catch (const zk::ZkError& e) {
      spdlog::warn("leaving the tree: {} (the session's end removes the rest)", e.what());
    }
  }
  if (session) {
    session->close();
    session->drain();
  }
  placer_.reset();
  monitor_.reset();
  hosts_.reset();
  instances_.reset();
  spdlog::info("stopped");
}

}  // namespace sm::daemon

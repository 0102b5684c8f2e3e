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

Daemon::Daemon(DaemonOptions options) : context_(std::move(options), [this] { wake(); }) {}

Daemon::~Daemon() = default;

void Daemon::wake() {
  {
    std::lock_guard lock(mutex_);
    dirty_ = true;
  }
  wakeup_.notify_one();
}

void Daemon::requestStop() {
  stopping_ = true;
  wake();
}

void Daemon::waitForWork(std::optional<std::chrono::steady_clock::time_point> until) {
  std::unique_lock lock(mutex_);
  auto ready = [&] { return dirty_ || stopping_; };
  if (until) {
    wakeup_.wait_until(lock, *until, ready);
  } else {
    wakeup_.wait(lock, ready);
  }
  dirty_ = false;
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
  while (!stopping_) {
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
        // News of a session already replaced must not end its successor.
        if (context_.session() != weak.lock()) return;
        if (state == zk::SessionState::Expired || state == zk::SessionState::AuthFailed) {
          instances_->connectionLost();
          sessionLost_ = true;
          wake();
        } else if (state == zk::SessionState::Connecting) {
          instances_->connectionLost();
        } else if (state == zk::SessionState::Connected) {
          instances_->connectionBack();
          wake();
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
      std::unique_lock lock(mutex_);
      wakeup_.wait_for(lock, delay, [&] { return stopping_.load(); });
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
  instances_ = std::make_unique<LocalInstances>(context_);
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
  while (!stopping_) {
    waitForWork(until);
    if (stopping_) break;
    if (sessionLost_) onSessionLost();
    if (stopping_) break;
    try {
      until = pass();
      retry = kRetryMin;
    } catch (const zk::ZkError& e) {
      if (e.isSessionLost()) {
        sessionLost_ = true;
        wake();
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

std::optional<std::chrono::steady_clock::time_point> Daemon::pass() {
  auto& tree = context_.tree();
  const auto nowMs = wallNowMs();
  tree.beginPass();
  auto snapshot = readSnapshot(
      tree, context_.layout, [this](const auto& path, const auto& error) { report(path, error); });
  tree.endPass();

  instances_->collectEnded();
  instances_->stopOverdueSurvivors();
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
    stopping_ = true;
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

#include "manager/daemon/daemon.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

#include "manager/daemon/process_template.hpp"
#include "manager/daemon/reconcile/persistent_plan.hpp"
#include "manager/model/tree_reader.hpp"
#include "manager/zk/error.hpp"

namespace sm::daemon {

namespace {
constexpr std::chrono::milliseconds kRetryMin{200};
constexpr std::chrono::milliseconds kRetryMax{5000};
// Load and free memory are re-measured this often, and only when some type's constraints use them.
constexpr std::chrono::seconds kMetricsInterval{5};
// With the HTTP endpoint on, the loop turns (a pass) at least this often even when nothing
// happens, so that /healthz can tell a quiet loop from a stuck one.
constexpr std::chrono::seconds kHeartbeat{5};
// Events are written this long after the first one not yet written, in one multi() with those
// that follow: never on a failover's critical time (the exit, the delete, the watch, the new
// master's role file all come first), and a burst of placements costs a few requests.
constexpr std::chrono::milliseconds kEventFlushDelay{25};
// The longest a change waits for the pass it asks for (see Daemon::run).
constexpr std::chrono::milliseconds kPassSettleMax{200};

bool usesHostMetrics(const model::ClusterSnapshot& snapshot) {
  for (const auto& [name, type] : snapshot.types) {
    if (!type.stored) continue;
    const auto& c = type.stored->type.spec.constraints;
    if (c.minFreeMemoryMB > 0 || c.maxLoadAverage) return true;
  }
  return false;
}
}  // namespace

Daemon::Daemon(DaemonOptions options)
    : context_(std::move(options), [this] { inbox_.wake(); }, [this] { inbox_.wakeSoon(); }),
      publisher_(context_, board_) {}

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
      parts_->install(s);
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
  parts_ = std::make_unique<DaemonParts>(context_, inbox_);
  publisher_.publish(parts_->instances);
  if (options.http) {
    // Before connecting: /healthz and /readyz answer while ZooKeeper is out of reach.
    http_ = std::make_unique<observe::HttpEndpoint>(board_,
                                                    observe::HttpEndpointOptions{*options.http});
    try {
      http_->start();
    } catch (const std::exception& e) {
      spdlog::error("--http: {}", e.what());
      parts_.reset();
      return 1;
    }
    spdlog::info("HTTP endpoint on {}:{}", options.http->host, http_->port());
    // Bound to every interface: others reach it at the address this host publishes.
    const auto& host = options.http->host == "0.0.0.0" ? options.address : options.http->host;
    parts_->hosts.setHttpEndpoint(fmt::format("{}:{}", host, http_->port()));
  }
  if (!connect()) {
    if (http_) http_->stop();
    return 0;
  }
  try {
    parts_->hosts.registerHost();
  } catch (const HostIdTaken& e) {
    spdlog::error("{}", e.what());
    context_.session()->close();
    return 1;
  }
  spdlog::info("servicesmgr {} ready (work dir {})", options.hostId, options.workDir);

  auto retry = kRetryMin;
  std::optional<std::chrono::steady_clock::time_point> until;
  while (!inbox_.stopping()) {
    auto wakeAt = until;
    if (http_) {
      const auto heartbeat = publisher_.lastPublished() + kHeartbeat;
      if (!wakeAt || heartbeat < *wakeAt) wakeAt = heartbeat;
    }
    auto batch = inbox_.wait(wakeAt, eventsDue_);
    if (inbox_.stopping()) break;
    bool passWanted = batch.passWanted;
    try {
      // Events first: a process exit or a new master must not wait for a pass.
      for (const auto& event : batch.events) {
        publisher_.beforeEvent(event, parts_->instances);
        passWanted = handle(event) || passWanted;
        publisher_.afterEvent(event, parts_->instances);
      }
      if (!batch.events.empty() && http_) publisher_.publish(parts_->instances);
      if (sessionLost_) {
        onSessionLost();
        passWanted = true;
      }
      if (inbox_.stopping()) break;
      if (passWanted) {
        const auto started = std::chrono::steady_clock::now();
        until = pass();
        retry = kRetryMin;
        // A pass over a large tree is not free: changes settle at least twice as long as the last
        // pass took, so that a burst of watches (a large rollout) leaves the loop most of its time
        // for the events that failover waits on, which never wait for a pass.
        const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::steady_clock::now() - started);
        inbox_.setPassSettle(std::clamp(2 * took, kPassSettle, kPassSettleMax));
      }
      flushEventsWhenDue();
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

void Daemon::flushEventsWhenDue() {
  const auto now = std::chrono::steady_clock::now();
  if (!eventsDue_) {
    if (context_.events.pending() > 0) eventsDue_ = now + kEventFlushDelay;
    return;
  }
  if (now < *eventsDue_ || sessionLost_) return;
  eventsDue_.reset();
  const bool wrote = parts_->flushEvents();
  // Left over: a backlog (at once again, in batches) or no connection (a little later).
  if (context_.events.pending() > 0) eventsDue_ = now + (wrote ? kEventFlushDelay : kRetryMin);
}

bool Daemon::handle(const LoopEvent& event) {
  try {
    return parts_->handle(event, sessionLost_);
  } catch (const std::exception& e) {
    // One event's failure must not lose the events behind it (a lost Stopped would leave its
    // instance stopping for ever); the pass that follows looks at the tree again.
    if (const auto* zk = dynamic_cast<const zk::ZkError*>(&e); zk && zk->isSessionLost()) {
      sessionLost_ = true;
    } else {
      spdlog::error("handling an event failed: {}", e.what());
    }
    return true;
  }
}

std::optional<std::chrono::steady_clock::time_point> Daemon::pass() {
  const auto started = std::chrono::steady_clock::now();
  auto& tree = context_.tree();
  const auto nowMs = wallNowMs();
  tree.beginPass();
  model::ReadScope scope;
  scope.focus = parts_->focus();
  auto snapshot = model::readSnapshot(
      tree, context_.layout, scope,
      [this](const std::string& path, const std::string& error) { report(path, error); }, &memo_);
  tree.endPass();

  parts_->instances.tick(nowMs);
  parts_->monitor.reconcile(snapshot, nowMs);
  parts_->reconcileInstances(snapshot);
  // Before operate(): a candidate named by a switchover takes over before the request ends.
  const auto promotionDue = parts_->instances.promote(snapshot, nowMs);
  parts_->operate(snapshot, nowMs);
  parts_->resumeIdentities(snapshot, nowMs);
  parts_->purgeIdentities(snapshot);
  parts_->instances.followMasters(snapshot);
  // A pass that read a type whole (this host holds its monitor) is a long one.
  const bool longPass = !scope.focus->wholeTypes.empty();
  auto until = parts_->placer.reconcile(snapshot, nowMs, longPass);

  const auto now = std::chrono::steady_clock::now();
  const bool watchMetrics = usesHostMetrics(snapshot);
  const bool refreshMetrics = watchMetrics && now >= nextMetrics_;
  if (refreshMetrics) nextMetrics_ = now + kMetricsInterval;
  const auto hostDue =
      parts_->hosts.update(parts_->instances.runningCount(),
                           parts_->instances.failures().cooldowns(nowMs), refreshMetrics);

  // Timers: a delayed contention, a backoff or cooldown that ends, the next metrics check.
  auto later = [&](std::chrono::steady_clock::time_point t) {
    if (!until || t < *until) until = t;
  };
  if (auto expiry = parts_->instances.failures().nextExpiry(nowMs)) {
    later(now + std::chrono::milliseconds(*expiry - nowMs));
  }
  if (watchMetrics) later(nextMetrics_);
  if (auto deadline = parts_->instances.survivorDeadline()) later(*deadline);
  // A lost persistent identity is abandoned when its grace ends (by the type's monitor holder).
  if (auto graceEnd = nextGraceEnd(snapshot, nowMs)) {
    later(now + std::chrono::milliseconds(*graceEnd - nowMs));
  }
  if (hostDue) later(*hostDue);
  // A candidate's wait for scores that ends, a score refresh.
  if (promotionDue) later(*promotionDue);
  publisher_.passDone(std::chrono::steady_clock::now() - started, snapshot);
  // Only the HTTP endpoint reads the board.
  if (http_) publisher_.publish(parts_->instances);
  return until;
}

void Daemon::onSessionLost() {
  sessionLost_ = false;
  publisher_.sessionExpired();
  const auto old = context_.session();
  spdlog::error(
      "ZooKeeper session 0x{:x} expired: opening a new one; instances still needed are registered "
      "again, the rest stopped",
      old ? old->id() : 0);
  parts_->instances.orphanAll();
  parts_->monitor.forgetAll();
  parts_->placer.forgetAll();
  // Closed, so that nothing of it (ephemeral nodes, callbacks) outlives the decision to replace it.
  if (old) old->close();
  // Survivors wait unregistered at most one session timeout (the longest a registered process
  // can outlive its manager's session unnoticed), counted until a new session exists too.
  const auto bound = context_.options.sessionTimeout;
  const auto lost = std::chrono::steady_clock::now();
  if (!connect([&] {
        if (std::chrono::steady_clock::now() - lost >= bound) {
          parts_->instances.stopSurvivors("ZooKeeper unreachable");
        }
      })) {
    return;
  }
  parts_->instances.setSurvivorDeadline(std::chrono::steady_clock::now() + bound);
  try {
    parts_->hosts.registerHost();
  } catch (const HostIdTaken& e) {
    spdlog::error("{}", e.what());
    inbox_.requestStop();
  }
}

void Daemon::shutdown() {
  spdlog::info("stopping: handing over masters, stopping instances");
  parts_->leave();
  // The stops' events, while the session is still ours (skipped when cut off).
  parts_->flushEvents();
  if (auto session = context_.session()) {
    session->close();
    session->drain();
  }
  parts_.reset();
  if (http_) http_->stop();
  spdlog::info("stopped");
}

}  // namespace sm::daemon

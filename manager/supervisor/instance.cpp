#include "manager/supervisor/instance.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <filesystem>
#include <fmt/format.h>

#include "manager/supervisor/executable.hpp"
#include "manager/supervisor/instance_environment.hpp"

namespace sm::supervisor {

using Clock = std::chrono::steady_clock;

Instance::Instance(EventLoop& loop, OrphanGuard& guard, PortAllocator& ports, ProcessSpec spec,
                   EventSink sink)
    : loop_(loop),
      guard_(guard),
      portAllocator_(ports),
      spec_(std::move(spec)),
      sink_(std::move(sink)),
      restarts_(spec_.restart) {
  roleFile_ = spec_.roleFile.empty() ? spec_.log.dir + "/" + spec_.instanceId + ".role.json"
                                     : spec_.roleFile;
}

Instance::~Instance() {
  loop_.cancelTimer(restartTimer_);
  loop_.cancelTimer(killTimer_);
  health_.reset();
  notifier_.reset();
  process_.reset();
  for (const auto& [name, port] : ports_) portAllocator_.release(port);
}

bool Instance::prepare(std::string& error) {
  if (spec_.argv.empty()) {
    error = "argv is empty";
    return false;
  }
  if (spec_.log.dir.empty()) {
    error = "log.dir is empty";
    return false;
  }
  std::error_code ec;
  std::filesystem::create_directories(spec_.log.dir, ec);
  if (ec) {
    error = fmt::format("cannot create log dir {}: {}", spec_.log.dir, ec.message());
    return false;
  }
  for (const auto& name : spec_.ports) {
    int port = portAllocator_.allocate(error);
    if (port == 0) {
      error = fmt::format("cannot allocate port {}: {}", name, error);
      return false;
    }
    ports_[name] = port;
  }
  std::string base = spec_.log.dir + "/" + spec_.instanceId;
  stdout_ = std::make_unique<OutputCapture>(loop_, base + ".stdout.log", spec_.log.rotateBytes,
                                            spec_.log.keepFiles);
  stderr_ = std::make_unique<OutputCapture>(loop_, base + ".stderr.log", spec_.log.rotateBytes,
                                            spec_.log.keepFiles);
  useEnvironment();
  return true;
}

void Instance::useEnvironment() {
  environment_ = buildInstanceEnvironment(spec_, roleFile_, ports_);
  notifier_ = std::make_unique<RoleNotifier>(
      loop_, guard_, spec_.roleNotice, environment_, spec_.workingDir,
      [this](bool ok, const std::string& detail) {
        auto notice =
            event(ok ? InstanceEvent::Kind::RoleNoticeSent : InstanceEvent::Kind::RoleNoticeFailed);
        notice.message = detail;
        emit(std::move(notice));
      });
}

void Instance::replaceTakenPorts() {
  bool replaced = false;
  for (auto& [name, port] : ports_) {
    if (portIsFree(port)) continue;
    std::string error;
    const int fresh = portAllocator_.allocate(error);
    if (fresh == 0) {
      spdlog::warn("instance {}: port {} ({}) is taken and no other is free: {}", spec_.instanceId,
                   name, port, error);
      continue;
    }
    spdlog::warn("instance {}: port {} ({}) was taken by another program; it gets {}",
                 spec_.instanceId, name, port, fresh);
    portAllocator_.release(port);
    port = fresh;
    replaced = true;
  }
  if (replaced) useEnvironment();
}

void Instance::start() {
  std::string error;
  if (!prepare(error)) {
    lastError_ = error;
    auto failed = event(InstanceEvent::Kind::StartFailed);
    failed.message = error;
    emit(std::move(failed));
    if (state_ == InstanceState::Stopped) return;  // the handler stopped it
    enterFinalState(InstanceState::Failed, InstanceEvent::Kind::Failed, error, false);
    return;
  }
  writeRole();
  launch();
}

void Instance::launch() {
  restartTimer_ = 0;
  // A port is only free when it is chosen: another program may have bound it before the service
  // did (which then failed), and would fail every restart the same way.
  if (starts_ > 0) replaceTakenPorts();
  auto executable =
      resolveExecutable(spec_.argv.front(), searchPathOf(environment_), spec_.workingDir);
  if (executable.path.empty()) {
    onStartFailure(executable.error);
    return;
  }
  // Checked here because a failing chdir in the child would be reported with errno alone.
  std::error_code ec;
  if (!spec_.workingDir.empty() && !std::filesystem::is_directory(spec_.workingDir, ec)) {
    onStartFailure(
        fmt::format("working dir {}: {}", spec_.workingDir, ec ? ec.message() : "not a directory"));
    return;
  }
  int out = stdout_->openPipe();
  int err = stderr_->openPipe();
  SpawnRequest request{executable.path, spec_.argv, environment_, spec_.workingDir, out, err, 0};
  if (spec_.roleNotice.kind == RoleNoticeSpec::Kind::Signal) {
    request.ignoredSignal = spec_.roleNotice.signal;
  }
  std::string error;
  process_ = WatchedProcess::start(
      loop_, guard_, request, [this](ExitStatus status) { onExit(status); }, error);
  if (out >= 0) close(out);
  if (err >= 0) close(err);
  if (!process_) {
    onStartFailure(error);
    return;
  }
  state_ = InstanceState::Running;
  runStarted_ = Clock::now();
  ++starts_;
  lastPid_ = process_->pid();
  ready_ = false;
  killingUnhealthy_ = false;
  emit(event(InstanceEvent::Kind::Started));
  if (state_ != InstanceState::Running) return;  // the handler stopped it

  if (spec_.health.kind == HealthSpec::Kind::None) {
    ready_ = true;
    emit(event(InstanceEvent::Kind::Ready));
    return;
  }
  int tcpPort = spec_.health.tcpPort;
  if (auto named = ports_.find(spec_.health.tcpPortName); named != ports_.end())
    tcpPort = named->second;
  HealthMonitor::Callbacks callbacks;
  callbacks.onReady = [this] {
    ready_ = true;
    emit(event(InstanceEvent::Kind::Ready));
  };
  callbacks.onUnhealthy = [this](const std::string& why) { onUnhealthy(why); };
  health_ = std::make_unique<HealthMonitor>(loop_, guard_, spec_.health, tcpPort, environment_,
                                            spec_.workingDir, std::move(callbacks));
}

void Instance::onStartFailure(const std::string& error) {
  lastError_ = error;
  auto failed = event(InstanceEvent::Kind::StartFailed);
  failed.message = error;
  emit(std::move(failed));
  if (state_ == InstanceState::Stopped) return;  // the handler stopped it
  if (spec_.restart.policy == RestartPolicy::Never) {
    enterFinalState(InstanceState::Failed, InstanceEvent::Kind::Failed, "start failed: " + error,
                    false);
  } else {
    onUnplannedEnd(Clock::duration::zero(), "start failed: " + error);
  }
}

void Instance::onExit(ExitStatus status) {
  auto runTime = Clock::now() - runStarted_;
  pid_t pid = process_ ? process_->pid() : 0;
  // Safe inside the process's own exit callback (see WatchedProcess).
  process_.reset();
  health_.reset();
  notifier_->cancel();
  loop_.cancelTimer(killTimer_);
  killTimer_ = 0;
  // Its writers are gone: the log holds everything before anyone hears of the exit.
  stdout_->drain();
  stderr_->drain();
  lastExit_ = status;
  ready_ = false;
  // A dead process is nobody's master; the next run starts as unknown until told otherwise.
  role_ = RoleState{};

  auto exited = event(InstanceEvent::Kind::Exited);
  exited.pid = pid;
  exited.exit = status;
  exited.message = killingUnhealthy_ ? "killed as unhealthy" : status.describe();
  emit(std::move(exited));
  // After the news: the owner's withdrawal, which its successor waits for, need not wait for
  // these writes; the next run starts after them (on this thread), so it reads `unknown`.
  writeRole();

  if (state_ == InstanceState::Stopping) {
    finishStop();
    return;
  }
  bool failure = killingUnhealthy_ || !status.success();
  std::string why = killingUnhealthy_ ? "unhealthy" : status.describe();
  switch (spec_.restart.policy) {
    case RestartPolicy::Never:
      if (failure) {
        enterFinalState(InstanceState::Failed, InstanceEvent::Kind::Failed,
                        why + " (restart policy never)", false);
      } else {
        enterFinalState(InstanceState::Completed, InstanceEvent::Kind::Completed, why, false);
      }
      return;
    case RestartPolicy::OnFailure:
      if (!failure) {
        enterFinalState(InstanceState::Completed, InstanceEvent::Kind::Completed, why, false);
        return;
      }
      break;
    case RestartPolicy::Always:
      break;
  }
  onUnplannedEnd(runTime, why);
}

void Instance::onUnplannedEnd(Clock::duration runTime, const std::string& why) {
  auto decision = restarts_.recordFailure(Clock::now(), runTime);
  if (decision.crashLoop) {
    enterFinalState(
        InstanceState::Failed, InstanceEvent::Kind::Failed,
        fmt::format("crash loop: {} failures within {} s; last: {}", decision.failuresInWindow,
                    spec_.restart.crashLoopWindowSeconds, why),
        true);
    return;
  }
  state_ = InstanceState::BackingOff;
  restartTimer_ = loop_.addTimer(decision.delay, [this] { launch(); });
  auto scheduled = event(InstanceEvent::Kind::RestartScheduled);
  scheduled.delay = decision.delay;
  scheduled.message = why;
  emit(std::move(scheduled));
}

void Instance::onUnhealthy(const std::string& why) {
  // Safe inside the monitor's own callback (see HealthMonitor).
  health_.reset();
  ready_ = false;
  killingUnhealthy_ = true;
  auto unhealthy = event(InstanceEvent::Kind::Unhealthy);
  unhealthy.message = why;
  emit(std::move(unhealthy));
  terminate();
}

void Instance::stop() {
  switch (state_) {
    case InstanceState::Running:
      state_ = InstanceState::Stopping;
      health_.reset();
      terminate();
      return;
    case InstanceState::BackingOff:
    case InstanceState::Completed:
    case InstanceState::Failed:
      finishStop();
      return;
    case InstanceState::Stopping:
    case InstanceState::Stopped:
      return;
  }
}

void Instance::terminate() {
  if (!process_) return;
  process_->signalGroup(spec_.stop.signal);
  if (killTimer_ != 0) return;
  killTimer_ = loop_.addTimer(std::chrono::milliseconds(spec_.stop.timeoutMs), [this] {
    killTimer_ = 0;
    if (!process_) return;
    spdlog::warn("instance {} pid={} still running {} ms after SIG{}: SIGKILL to its group",
                 spec_.instanceId, process_->pid(), spec_.stop.timeoutMs,
                 signalName(spec_.stop.signal));
    process_->signalGroup(SIGKILL);
  });
}

void Instance::finishStop() {
  loop_.cancelTimer(restartTimer_);
  restartTimer_ = 0;
  loop_.cancelTimer(killTimer_);
  killTimer_ = 0;
  health_.reset();
  state_ = InstanceState::Stopped;
  emit(event(InstanceEvent::Kind::Stopped));
}

void Instance::enterFinalState(InstanceState state, InstanceEvent::Kind kind,
                               const std::string& message, bool crashLoop) {
  state_ = state;
  if (state == InstanceState::Failed) lastError_ = message;
  auto final = event(kind);
  final.message = message;
  final.crashLoop = crashLoop;
  emit(std::move(final));
}

bool Instance::setRole(const RoleState& role, pid_t forPid) {
  if (role.role == services::Role::Master && (!process_ || process_->pid() != forPid)) {
    spdlog::info("instance {}: not writing master (meant for pid {}, running pid {})",
                 spec_.instanceId, forPid, process_ ? process_->pid() : 0);
    return false;
  }
  bool changed = !role.sameRoleAs(role_);
  // The files say so already: each replacement costs a new inode (see role_state.cpp).
  if (!changed && role.leaseUntilMonoNs == role_.leaseUntilMonoNs) return true;
  const bool peersChanged = role.peers != role_.peers;
  role_ = role;
  // The peers first: a process woken by the notice finds both files current.
  std::string error = peersChanged ? writePeersFile(peersFileFor(roleFile_), role_.peers) : "";
  if (error.empty()) error = writeRoleFile(roleFile_, role_);
  if (!error.empty()) {
    auto failed = event(InstanceEvent::Kind::RoleFileFailed);
    failed.message = error;
    emit(std::move(failed));
    return false;
  }
  if (changed && process_ && state_ == InstanceState::Running && notifier_)
    notifier_->notify(*process_, role_.role);
  return true;
}

void Instance::writeRole() {
  std::string error = writePeersFile(peersFileFor(roleFile_), role_.peers);
  if (error.empty()) error = writeRoleFile(roleFile_, role_);
  if (!error.empty())
    spdlog::error("instance {}: cannot write role file: {}", spec_.instanceId, error);
}

InstanceEvent Instance::event(InstanceEvent::Kind kind) const {
  InstanceEvent result{};
  result.kind = kind;
  result.instanceId = spec_.instanceId;
  result.pid = process_ ? process_->pid() : lastPid_;
  result.at = Clock::now();
  return result;
}

void Instance::emit(InstanceEvent event) {
  // Every event is emitted after the state change it reports, so a handler that calls back into
  // the supervisor (on this thread) sees a consistent instance.
  // Without restarts the owner decides what an exit means (the daemon logs it in its own words):
  // the end of such an instance is news, not a warning.
  const bool ownerDecides =
      spec_.restart.policy == RestartPolicy::Never && event.kind == InstanceEvent::Kind::Failed;
  if (!ownerDecides && (event.kind == InstanceEvent::Kind::StartFailed ||
                        event.kind == InstanceEvent::Kind::Failed ||
                        event.kind == InstanceEvent::Kind::RoleNoticeFailed ||
                        event.kind == InstanceEvent::Kind::RoleFileFailed ||
                        event.kind == InstanceEvent::Kind::Unhealthy)) {
    spdlog::warn("instance {} {} pid={} {}", event.instanceId, eventName(event.kind), event.pid,
                 event.message);
  } else {
    spdlog::info("instance {} {} pid={} {}{}", event.instanceId, eventName(event.kind), event.pid,
                 event.message,
                 event.kind == InstanceEvent::Kind::RestartScheduled
                     ? fmt::format(" in {} ms", event.delay.count())
                     : "");
  }
  if (sink_) sink_(event);
}

InstanceStatus Instance::status() const {
  InstanceStatus result;
  result.instanceId = spec_.instanceId;
  result.state = state_;
  result.pid = process_ ? process_->pid() : 0;
  result.ready = ready_;
  result.starts = starts_;
  result.ports = ports_;
  result.roleFile = roleFile_;
  result.stdoutLog = spec_.log.dir + "/" + spec_.instanceId + ".stdout.log";
  result.stderrLog = spec_.log.dir + "/" + spec_.instanceId + ".stderr.log";
  result.role = role_;
  result.lastExit = lastExit_;
  result.lastError = lastError_;
  return result;
}

}  // namespace sm::supervisor

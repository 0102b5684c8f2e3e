#include "manager/supervisor/health_monitor.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace sm::supervisor {

HealthMonitor::HealthMonitor(EventLoop& loop, OrphanGuard& guard, HealthSpec spec, int tcpPort,
                             std::vector<std::string> environment, std::string workingDir,
                             Callbacks callbacks)
    : loop_(loop),
      guard_(guard),
      spec_(std::move(spec)),
      tcpPort_(tcpPort),
      environment_(std::move(environment)),
      workingDir_(std::move(workingDir)),
      callbacks_(std::move(callbacks)) {
  spec_.failureThreshold = std::max(spec_.failureThreshold, 1);
  spec_.intervalMs = std::max(spec_.intervalMs, 1);
  schedule(std::max(spec_.initialDelayMs, 0));
}

HealthMonitor::~HealthMonitor() {
  *alive_ = false;
  if (timer_ != 0) loop_.cancelTimer(timer_);
}

void HealthMonitor::schedule(int delayMs) {
  timer_ = loop_.addTimer(std::chrono::milliseconds(delayMs), [this] {
    timer_ = 0;
    probe();
  });
}

void HealthMonitor::probe() {
  probeStarted_ = std::chrono::steady_clock::now();
  auto timeout = std::chrono::milliseconds(std::max(spec_.timeoutMs, 1));
  auto done = [this](bool ok, const std::string& detail) { onResult(ok, detail); };
  if (spec_.kind == HealthSpec::Kind::Tcp) {
    tcpProbe_ = std::make_unique<TcpProbe>(
        loop_, tcpPort_, TcpProbe::Exchange{spec_.tcpSend, spec_.tcpExpect}, timeout, done);
  } else {
    execProbe_ = std::make_unique<TimedCommand>(
        loop_, guard_, spec_.execArgv, environment_, workingDir_, timeout,
        [done](const TimedCommand::Outcome& outcome) { done(outcome.ok, outcome.detail); });
  }
}

void HealthMonitor::onResult(bool ok, const std::string& detail) {
  // Safe inside their own callbacks: probes touch nothing of themselves after reporting.
  tcpProbe_.reset();
  execProbe_.reset();
  if (ok) {
    consecutiveFailures_ = 0;
    if (!ready_) {
      ready_ = true;
      auto alive = alive_;
      if (callbacks_.onReady) callbacks_.onReady();
      if (!*alive) return;
    }
  } else {
    ++consecutiveFailures_;
    spdlog::debug("health probe failed ({}/{}): {}", consecutiveFailures_, spec_.failureThreshold,
                  detail);
    if (consecutiveFailures_ >= spec_.failureThreshold) {
      ready_ = false;
      if (callbacks_.onUnhealthy) callbacks_.onUnhealthy(detail);
      return;  // the callback may have destroyed this monitor
    }
  }
  // Probes start every intervalMs, however long each took: a failing probe that waits out its
  // timeout must not stretch the time until the threshold is reached.
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - probeStarted_)
                        .count();
  schedule(static_cast<int>(std::max<std::int64_t>(0, spec_.intervalMs - took)));
}

}  // namespace sm::supervisor

#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "manager/supervisor/event_loop.hpp"
#include "manager/supervisor/orphan_guard.hpp"
#include "manager/supervisor/process_spec.hpp"
#include "manager/supervisor/tcp_probe.hpp"
#include "manager/supervisor/timed_command.hpp"

namespace sm::supervisor {

// Probes one running process every intervalMs after initialDelayMs. The first success makes it
// ready; failureThreshold failures in a row make it unhealthy, reported once, after which probing
// stops (the instance restarts the process and starts a new monitor).
class HealthMonitor {
 public:
  struct Callbacks {
    std::function<void()> onReady;
    std::function<void(const std::string& why)> onUnhealthy;
  };

  HealthMonitor(EventLoop& loop, OrphanGuard& guard, HealthSpec spec, int tcpPort,
                std::vector<std::string> environment, std::string workingDir, Callbacks callbacks);
  ~HealthMonitor();
  HealthMonitor(const HealthMonitor&) = delete;
  HealthMonitor& operator=(const HealthMonitor&) = delete;

  bool ready() const { return ready_; }

 private:
  void schedule(int delayMs);
  void probe();
  void onResult(bool ok, const std::string& detail);

  EventLoop& loop_;
  OrphanGuard& guard_;
  HealthSpec spec_;
  int tcpPort_;
  std::vector<std::string> environment_;
  std::string workingDir_;
  Callbacks callbacks_;
  EventLoop::TimerId timer_ = 0;
  std::chrono::steady_clock::time_point probeStarted_{};
  std::unique_ptr<TcpProbe> tcpProbe_;
  std::unique_ptr<TimedCommand> execProbe_;
  int consecutiveFailures_ = 0;
  bool ready_ = false;
  // Cleared by the destructor: onReady may lead (through the event handler) to this monitor's end.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace sm::supervisor

#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "manager/supervisor/event_loop.hpp"
#include "manager/supervisor/health_monitor.hpp"
#include "manager/supervisor/instance_event.hpp"
#include "manager/supervisor/orphan_guard.hpp"
#include "manager/supervisor/output_capture.hpp"
#include "manager/supervisor/port_allocator.hpp"
#include "manager/supervisor/process_spec.hpp"
#include "manager/supervisor/restart_tracker.hpp"
#include "manager/supervisor/role_notifier.hpp"
#include "manager/supervisor/role_state.hpp"
#include "manager/supervisor/watched_process.hpp"

namespace sm::supervisor {

// One supervised instance: its process across restarts, its ports, logs and role file. Lives on
// the event loop thread; every method must be called there.
class Instance {
 public:
  using EventSink = std::function<void(const InstanceEvent&)>;

  Instance(EventLoop& loop, OrphanGuard& guard, PortAllocator& ports, ProcessSpec spec,
           EventSink sink);
  // Releases the ports; a process still running is SIGKILLed with its group (stop() is the clean
  // way).
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  void start();
  // Stop signal to the group, SIGKILL after stop.timeoutMs; emits Stopped when the group is gone.
  void stop();
  // False (nothing written) for a master role whose `forPid` is not the running process.
  bool setRole(const RoleState& role, pid_t forPid);
  InstanceStatus status() const;
  // What its process and its helpers run with (empty until its first start was prepared).
  const std::vector<std::string>& environment() const { return environment_; }
  const std::string& workingDir() const { return spec_.workingDir; }
  InstanceState state() const { return state_; }

 private:
  bool prepare(std::string& error);
  // The environment (and the role hook's) from the ports as they are now.
  void useEnvironment();
  // Before a restart: each port another program holds now is replaced by a free one.
  void replaceTakenPorts();
  void launch();
  void onExit(ExitStatus status);
  void onStartFailure(const std::string& error);
  void onUnplannedEnd(std::chrono::steady_clock::duration runTime, const std::string& why);
  void onUnhealthy(const std::string& why);
  void terminate();  // stop signal to the group, SIGKILL when stop.timeoutMs passes
  void finishStop();
  void enterFinalState(InstanceState state, InstanceEvent::Kind kind, const std::string& message,
                       bool crashLoop);
  void writeRole();
  void emit(InstanceEvent event);
  InstanceEvent event(InstanceEvent::Kind kind) const;

  EventLoop& loop_;
  OrphanGuard& guard_;
  PortAllocator& portAllocator_;
  ProcessSpec spec_;
  EventSink sink_;

  std::string roleFile_;
  std::map<std::string, int> ports_;
  std::vector<std::string> environment_;
  std::unique_ptr<OutputCapture> stdout_;
  std::unique_ptr<OutputCapture> stderr_;
  std::unique_ptr<RoleNotifier> notifier_;
  RestartTracker restarts_;

  InstanceState state_ = InstanceState::BackingOff;
  std::unique_ptr<WatchedProcess> process_;
  std::unique_ptr<HealthMonitor> health_;
  bool ready_ = false;
  bool killingUnhealthy_ = false;
  std::chrono::steady_clock::time_point runStarted_;
  int starts_ = 0;
  pid_t lastPid_ = 0;  // named in events after the process is gone
  RoleState role_;
  std::optional<ExitStatus> lastExit_;
  std::string lastError_;
  EventLoop::TimerId restartTimer_ = 0;
  EventLoop::TimerId killTimer_ = 0;
};

}  // namespace sm::supervisor

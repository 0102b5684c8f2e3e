#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "manager/supervisor/exit_status.hpp"
#include "manager/supervisor/role_state.hpp"

namespace sm::supervisor {

enum class InstanceState {
  Running,     // a process is up (it may be being killed for failing health checks)
  BackingOff,  // waiting to restart
  Stopping,    // stop requested, waiting for the process group to go
  Stopped,     // by request; the supervisor forgets the instance right after
  Completed,   // ended and the restart policy says not to restart
  Failed,      // crash loop, or a failure under policy `never`
};

const char* stateName(InstanceState state);

// Everything the caller learns, as it happens, on the supervisor's event thread.
struct InstanceEvent {
  enum class Kind {
    Started,           // pid
    StartFailed,       // message (missing binary, exec error, ...); then RestartScheduled or Failed
    Exited,            // pid, exit; then RestartScheduled, Completed, Failed or Stopped
    Ready,             // health check passed (or started, when there is none)
    Unhealthy,         // failureThreshold probes failed in a row: the process is being restarted
    RestartScheduled,  // delay
    Failed,            // message; crashLoop says whether it was a crash loop
    Completed,         // clean end, not restarted
    Stopped,           // after stop(); the instance is gone from the supervisor
    RoleNoticeSent,    // role file written and the notice delivered (message says how)
    RoleNoticeFailed,  // message
    // The role file could not be written (a full disk, ...): the process cannot learn its role,
    // and no notice was sent. message
    RoleFileFailed,
  };

  Kind kind;
  std::string instanceId;
  pid_t pid = 0;  // the instance's process, or its last one once it has ended
  ExitStatus exit;
  std::chrono::milliseconds delay{0};
  bool crashLoop = false;
  std::string message;
  std::chrono::steady_clock::time_point at = std::chrono::steady_clock::now();
};

const char* eventName(InstanceEvent::Kind kind);

struct InstanceStatus {
  std::string instanceId;
  InstanceState state = InstanceState::Running;
  pid_t pid = 0;  // 0 when no process is running
  bool ready = false;
  int starts = 0;  // successful starts so far
  std::map<std::string, int> ports;
  std::string roleFile;
  std::string stdoutLog;
  std::string stderrLog;
  RoleState role;
  std::optional<ExitStatus> lastExit;
  std::string lastError;
};

}  // namespace sm::supervisor

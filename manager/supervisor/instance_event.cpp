#include "manager/supervisor/instance_event.hpp"

namespace sm::supervisor {

const char* stateName(InstanceState state) {
  switch (state) {
    case InstanceState::Running:
      return "running";
    case InstanceState::BackingOff:
      return "backing-off";
    case InstanceState::Stopping:
      return "stopping";
    case InstanceState::Stopped:
      return "stopped";
    case InstanceState::Completed:
      return "completed";
    case InstanceState::Failed:
      return "failed";
  }
  return "?";
}

const char* eventName(InstanceEvent::Kind kind) {
  using Kind = InstanceEvent::Kind;
  switch (kind) {
    case Kind::Started:
      return "started";
    case Kind::StartFailed:
      return "start-failed";
    case Kind::Exited:
      return "exited";
    case Kind::Ready:
      return "ready";
    case Kind::Unhealthy:
      return "unhealthy";
    case Kind::RestartScheduled:
      return "restart-scheduled";
    case Kind::Failed:
      return "failed";
    case Kind::Completed:
      return "completed";
    case Kind::Stopped:
      return "stopped";
    case Kind::RoleNoticeSent:
      return "role-notice-sent";
    case Kind::RoleNoticeFailed:
      return "role-notice-failed";
    case Kind::RoleFileFailed:
      return "role-file-failed";
  }
  return "?";
}

}  // namespace sm::supervisor

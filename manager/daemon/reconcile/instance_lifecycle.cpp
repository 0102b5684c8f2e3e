#include "manager/daemon/reconcile/instance_lifecycle.hpp"

namespace sm::daemon {

const char* phaseName(Phase phase) {
  switch (phase) {
    case Phase::Starting:
      return "starting";
    case Phase::Running:
      return "running";
    case Phase::Demoting:
      return "demoting";
    case Phase::Restarting:
      return "restarting";
    case Phase::Stopping:
      return "stopping";
    case Phase::Survivor:
      return "survivor";
    case Phase::Gone:
      return "gone";
  }
  return "?";
}

const char* lifecycleEventName(LifecycleEvent::Kind kind) {
  using K = LifecycleEvent::Kind;
  switch (kind) {
    case K::Started:
      return "started";
    case K::Registered:
      return "registered";
    case K::Unhealthy:
      return "unhealthy";
    case K::Exited:
      return "exited";
    case K::RestartScheduled:
      return "restart-scheduled";
    case K::GaveUp:
      return "gave-up";
    case K::Stopped:
      return "stopped";
    case K::RoleFileFailed:
      return "role-file-failed";
    case K::StopRequested:
      return "stop-requested";
    case K::SessionExpired:
      return "session-expired";
  }
  return "?";
}

const char* effectName(Effect effect) {
  switch (effect) {
    case Effect::TellUnknown:
      return "tell-unknown";
    case Effect::WithdrawElection:
      return "withdraw-election";
    case Effect::WithdrawAll:
      return "withdraw-all";
    case Effect::ForgetElection:
      return "forget-election";
    case Effect::Rejoin:
      return "rejoin";
    case Effect::RecordFailure:
      return "record-failure";
    case Effect::StopProcess:
      return "stop-process";
  }
  return "?";
}

namespace {

using K = LifecycleEvent::Kind;
using E = Effect;

// Every registered phase ends the same ways: the supervisor gave up, the plan wants it gone, or
// it cannot learn its role. Demote before stop: told `unknown`, then withdrawn, then stopped.
std::optional<Transition> endOfRegistered(const LifecycleEvent& event) {
  switch (event.kind) {
    case K::GaveUp:
      if (event.failure) {
        return Transition{Phase::Stopping,
                          {E::TellUnknown, E::WithdrawAll, E::RecordFailure, E::StopProcess}};
      }
      return Transition{Phase::Stopping, {E::TellUnknown, E::WithdrawAll, E::StopProcess}};
    case K::StopRequested:
      return Transition{Phase::Stopping, {E::TellUnknown, E::WithdrawAll, E::StopProcess}};
    case K::RoleFileFailed:
      return Transition{Phase::Stopping,
                        {E::TellUnknown, E::WithdrawAll, E::RecordFailure, E::StopProcess}};
    case K::Stopped:
      return Transition{Phase::Gone, {E::WithdrawAll}};
    default:
      return std::nullopt;
  }
}

Transition fromStarting(const LifecycleEvent& event) {
  switch (event.kind) {
    case K::Registered:
      return {Phase::Running, {}};
    case K::Exited:
    case K::GaveUp:
    case K::RoleFileFailed:
      // It never served: not restarted in place but given up, and counted against this host.
      return {Phase::Stopping, {E::RecordFailure, E::StopProcess}};
    case K::StopRequested:
    case K::SessionExpired:
      return {Phase::Stopping, {E::StopProcess}};
    case K::Stopped:
      return {Phase::Gone, {}};
    default:
      return {Phase::Starting, {}};
  }
}

Transition fromRunning(const LifecycleEvent& event) {
  if (auto end = endOfRegistered(event)) return *end;
  switch (event.kind) {
    case K::Unhealthy:
      // The supervisor stops it now: its successor need not wait for that.
      return {Phase::Demoting, {E::TellUnknown, E::WithdrawElection}};
    case K::Exited:
      // The time-critical path: the successor is master one delete→watch after the exit.
      return {Phase::Restarting, {E::TellUnknown, E::WithdrawElection}};
    case K::RestartScheduled:
      // Its znode says "restarting" (pid 0) from the next pass on (planInstances follows the
      // phase), which waits for the failover's watches to settle.
      return {Phase::Restarting, {E::TellUnknown, E::WithdrawElection}};
    case K::SessionExpired:
      return {Phase::Survivor, {E::TellUnknown, E::ForgetElection}};
    default:
      return {Phase::Running, {}};
  }
}

Transition fromDemotingOrRestarting(Phase phase, const LifecycleEvent& event) {
  if (auto end = endOfRegistered(event)) return *end;
  switch (event.kind) {
    case K::Exited:
      return {Phase::Restarting, {}};
    case K::RestartScheduled:
      return {Phase::Restarting, {}};
    case K::Started:
      return {phase, phase == Phase::Restarting ? std::vector<Effect>{E::Rejoin}
                                                : std::vector<Effect>{}};
    case K::Registered:
      return {Phase::Running, {}};
    case K::SessionExpired:
      // Not a healthy process to keep: its replica is placed again like any other.
      return {Phase::Stopping, {E::ForgetElection, E::StopProcess}};
    default:
      return {phase, {}};
  }
}

Transition fromSurvivor(const LifecycleEvent& event) {
  switch (event.kind) {
    case K::Registered:
      return {Phase::Running, {}};
    case K::Exited:
    case K::Unhealthy:
    case K::GaveUp:
    case K::RoleFileFailed:
    case K::StopRequested:
      return {Phase::Stopping, {E::StopProcess}};
    case K::Stopped:
      return {Phase::Gone, {}};
    default:
      return {Phase::Survivor, {}};
  }
}

}  // namespace

Transition transition(Phase phase, const LifecycleEvent& event) {
  switch (phase) {
    case Phase::Starting:
      return fromStarting(event);
    case Phase::Running:
      return fromRunning(event);
    case Phase::Demoting:
    case Phase::Restarting:
      return fromDemotingOrRestarting(phase, event);
    case Phase::Survivor:
      return fromSurvivor(event);
    case Phase::Stopping:
      return {event.kind == K::Stopped ? Phase::Gone : Phase::Stopping, {}};
    case Phase::Gone:
      return {Phase::Gone, {}};
  }
  return {phase, {}};
}

}  // namespace sm::daemon

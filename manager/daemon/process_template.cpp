#include "manager/daemon/process_template.hpp"

#include "config/signals.hpp"
#include "manager/daemon/lock_server.hpp"

namespace sm::daemon {

std::string instancesDir(const DaemonOptions& options) {
  return options.workDir + "/instances";
}

std::string persistentDataDir(const DaemonOptions& options, const config::PhysicalServiceId& id) {
  return options.dataDir + "/" + id.logical.type + "/" + id.uuid;
}

supervisor::ProcessSpec processSpecFor(const config::ServiceSpec& spec,
                                       const config::PhysicalServiceId& id,
                                       const config::Layout& layout, const DaemonOptions& options) {
  supervisor::ProcessSpec p;
  p.instanceId = id.uuid;
  p.argv = spec.command;
  p.env = spec.env;
  p.workingDir = spec.workingDir;
  p.identity = {options.zk,
                options.root,
                id.logical.type,
                layout.logicalService(id.logical),
                id.uuid,
                options.hostId,
                spec.persistent ? persistentDataDir(options, id) : "",
                lockSocketPath(options)};
  p.ports = spec.ports;
  // The supervisor restarts the process in place (same instance id, ports and files) as the policy
  // says; the daemon withdraws it from the election meanwhile and gives the replica up only when
  // the supervisor does (a crash loop, or an end the policy does not restart).
  switch (spec.restart.policy) {
    case config::RestartPolicy::Always:
      p.restart.policy = supervisor::RestartPolicy::Always;
      break;
    case config::RestartPolicy::OnFailure:
      p.restart.policy = supervisor::RestartPolicy::OnFailure;
      break;
    case config::RestartPolicy::Never:
      p.restart.policy = supervisor::RestartPolicy::Never;
      break;
  }
  p.restart.backoffInitialMs = static_cast<int>(spec.restart.backoffInitialMs);
  p.restart.backoffMaxMs = static_cast<int>(spec.restart.backoffMaxMs);
  p.restart.crashLoopFailures = static_cast<int>(spec.restart.crashLoop.failures);
  p.restart.crashLoopWindowSeconds = static_cast<int>(spec.restart.crashLoop.windowSeconds);
  p.stop.signal = config::signalNumber(spec.stop.signal).value_or(SIGTERM);
  p.stop.timeoutMs = static_cast<int>(spec.stop.timeoutMs);
  if (!spec.roleChange.signal.empty()) {
    p.roleNotice.kind = supervisor::RoleNoticeSpec::Kind::Signal;
    p.roleNotice.signal = config::signalNumber(spec.roleChange.signal).value_or(SIGUSR1);
  } else if (!spec.roleChange.exec.empty()) {
    p.roleNotice.kind = supervisor::RoleNoticeSpec::Kind::Exec;
    p.roleNotice.execArgv = spec.roleChange.exec;
  }
  if (spec.health) {
    const auto& h = *spec.health;
    if (!h.exec.empty()) {
      p.health.kind = supervisor::HealthSpec::Kind::Exec;
      p.health.execArgv = h.exec;
    } else {
      p.health.kind = supervisor::HealthSpec::Kind::Tcp;
      p.health.tcpPortName = h.tcpPort;
      p.health.tcpSend = h.tcpSend;
      p.health.tcpExpect = h.tcpExpect;
    }
    p.health.intervalMs = static_cast<int>(h.intervalMs);
    p.health.timeoutMs = static_cast<int>(h.timeoutMs);
    p.health.failureThreshold = static_cast<int>(h.failureThreshold);
  }
  p.log.dir = instancesDir(options);
  return p;
}

}  // namespace sm::daemon

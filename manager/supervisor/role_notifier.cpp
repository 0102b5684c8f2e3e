#include "manager/supervisor/role_notifier.hpp"

#include <fmt/format.h>

namespace sm::supervisor {

RoleNotifier::RoleNotifier(EventLoop& loop, OrphanGuard& guard, RoleNoticeSpec spec,
                           std::vector<std::string> environment, std::string workingDir,
                           Report report)
    : loop_(loop),
      guard_(guard),
      spec_(std::move(spec)),
      environment_(std::move(environment)),
      workingDir_(std::move(workingDir)),
      report_(std::move(report)) {}

void RoleNotifier::notify(const WatchedProcess& process, Role role) {
  switch (spec_.kind) {
    case RoleNoticeSpec::Kind::None:
      report_(true, "role file written; no notice configured");
      return;
    case RoleNoticeSpec::Kind::Signal:
      if (process.signalProcess(spec_.signal)) {
        report_(true,
                fmt::format("signal {} sent to pid {}", signalName(spec_.signal), process.pid()));
      } else {
        report_(false, fmt::format("cannot signal pid {}", process.pid()));
      }
      return;
    case RoleNoticeSpec::Kind::Exec:
      if (hook_) {
        pending_ = role;
      } else {
        runHook(role);
      }
      return;
  }
}

void RoleNotifier::runHook(Role role) {
  std::vector<std::string> argv = spec_.execArgv;
  argv.emplace_back(roleName(role));
  hook_ = std::make_unique<TimedCommand>(
      loop_, guard_, argv, environment_, workingDir_,
      std::chrono::milliseconds(spec_.execTimeoutMs),
      [this, role](const TimedCommand::Outcome& outcome) {
        // Safe inside its own callback: TimedCommand and WatchedProcess touch nothing after `done`.
        hook_.reset();
        report_(outcome.ok,
                fmt::format("hook {} {}: {}", spec_.execArgv.empty() ? "" : spec_.execArgv.front(),
                            roleName(role), outcome.detail));
        if (pending_) {
          Role next = *pending_;
          pending_.reset();
          runHook(next);
        }
      });
}

void RoleNotifier::cancel() {
  pending_.reset();
  hook_.reset();
}

}  // namespace sm::supervisor

#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "manager/supervisor/event_loop.hpp"
#include "manager/supervisor/orphan_guard.hpp"
#include "manager/supervisor/process_spec.hpp"
#include "manager/supervisor/role_state.hpp"
#include "manager/supervisor/timed_command.hpp"
#include "manager/supervisor/watched_process.hpp"

namespace sm::supervisor {

// Tells a running process that its role file changed: a signal to the process itself (not its
// group: children that do not handle e.g. SIGUSR1 would die of it), or an exec hook run with the
// role as last argument. Hooks run one at a time; changes arriving meanwhile collapse into the
// latest one, run when the current hook ends.
class RoleNotifier {
 public:
  using Report = std::function<void(bool ok, const std::string& detail)>;

  RoleNotifier(EventLoop& loop, OrphanGuard& guard, RoleNoticeSpec spec,
               std::vector<std::string> environment, std::string workingDir, Report report);

  void notify(const WatchedProcess& process, Role role);
  // The process ended: a running hook is killed and a pending one dropped.
  void cancel();

 private:
  void runHook(Role role);

  EventLoop& loop_;
  OrphanGuard& guard_;
  RoleNoticeSpec spec_;
  std::vector<std::string> environment_;
  std::string workingDir_;
  Report report_;
  std::unique_ptr<TimedCommand> hook_;
  std::optional<Role> pending_;
};

}  // namespace sm::supervisor

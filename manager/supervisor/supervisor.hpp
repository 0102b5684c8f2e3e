#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "manager/supervisor/event_loop.hpp"
#include "manager/supervisor/instance.hpp"
#include "manager/supervisor/instance_event.hpp"
#include "manager/supervisor/orphan_guard.hpp"
#include "manager/supervisor/output_command.hpp"
#include "manager/supervisor/port_allocator.hpp"
#include "manager/supervisor/process_spec.hpp"
#include "manager/supervisor/role_state.hpp"

namespace sm::supervisor {

// Starts, watches, tells, stops and restarts the processes of one host. All work happens on one
// event thread, which forks every child (so PR_SET_PDEATHSIG holds for the supervisor's lifetime)
// and learns of exits through pidfds within milliseconds. Methods may be called from any thread,
// including from the event handler (then they run inline). The handler runs on the event thread:
// it must not block, and it may see an instance's events before the call that caused them returns.
class Supervisor {
 public:
  using EventHandler = std::function<void(const InstanceEvent&)>;

  explicit Supervisor(EventHandler handler = {});
  // stopAll(), then ends the event thread and the orphan guard.
  ~Supervisor();
  Supervisor(const Supervisor&) = delete;
  Supervisor& operator=(const Supervisor&) = delete;

  // Accepts the instance and starts it at once; what happens next arrives as events. Returns false
  // with `error` set when the spec is refused (instanceId empty, duplicate, with '/' or
  // starting with '.').
  bool start(ProcessSpec spec, std::string* error = nullptr);
  // Stops the instance (whatever its state) and forgets it after its Stopped event. False if
  // unknown.
  bool stop(const std::string& instanceId);
  // Stops every instance and waits until all are gone. Not from the event thread.
  void stopAll();
  // Writes the role file and, when role, epoch or masterPeer changed and the process is running,
  // sends the configured notice. A new lease deadline alone just rewrites the file (a renewal).
  // A master role is written only for the run it was meant for: `forPid` must be the running
  // process (else the call returns false and writes nothing), so that a master role decided for a
  // run that has just ended can never reach the run that replaces it.
  bool setRole(const std::string& instanceId, const RoleState& role, pid_t forPid = 0);

  // Runs `argv` in the instance's environment and working directory (as an exec health check
  // runs), killed with its group after `timeout`; `done` gets how it ended and its first `limit`
  // bytes of stdout, on the event thread (it must not block). Never waits: the caller's thread
  // goes on. An unknown instance, or one that never started, is reported as a failure.
  void query(const std::string& instanceId, std::vector<std::string> argv,
             std::chrono::milliseconds timeout, std::size_t limit, OutputCommand::Done done);
  std::optional<InstanceStatus> status(const std::string& instanceId);
  std::vector<InstanceStatus> list();
  pid_t orphanGuardPid();
  // What the orphan guard runs once it has killed every managed process group after this process
  // died (OrphanGuard::LastWill); nullopt: nothing. From any thread but the event handler's.
  bool setLastWill(std::optional<OrphanGuard::LastWill> will);

 private:
  void watchGuard();
  void onEvent(const InstanceEvent& event);
  void retire(const std::string& instanceId);

  EventHandler handler_;
  EventLoop loop_;
  // Everything below is touched only on the event thread (the guard is also forked from there).
  std::unique_ptr<OrphanGuard> guard_;
  EventLoop::WatchId guardWatch_ = 0;
  PortAllocator ports_;
  std::map<std::string, std::unique_ptr<Instance>> instances_;
  // Instances that ended inside their own callbacks, destroyed by a later loop task.
  std::vector<std::unique_ptr<Instance>> retired_;
  std::vector<std::function<void()>> allStoppedWaiters_;
  std::map<std::uint64_t, std::unique_ptr<OutputCommand>> queries_;  // running query() commands
  std::uint64_t nextQuery_ = 1;
};

}  // namespace sm::supervisor

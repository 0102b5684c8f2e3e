#include "manager/supervisor/timed_command.hpp"

#include <signal.h>

#include <fmt/format.h>

#include "manager/supervisor/executable.hpp"
#include "manager/supervisor/instance_environment.hpp"

namespace sm::supervisor {

TimedCommand::TimedCommand(EventLoop& loop, OrphanGuard& guard,
                           const std::vector<std::string>& argv,
                           const std::vector<std::string>& environment,
                           const std::string& workingDir, std::chrono::milliseconds timeout,
                           Done done, int stdoutFd)
    : loop_(loop), done_(std::move(done)) {
  std::string error;
  auto executable = resolveExecutable(argv.empty() ? std::string() : argv.front(),
                                      searchPathOf(environment), workingDir);
  if (executable.path.empty()) {
    error = executable.error;
  } else {
    SpawnRequest request{executable.path, argv, environment, workingDir, stdoutFd, -1, 0};
    process_ = WatchedProcess::start(
        loop_, guard, request,
        [this](ExitStatus status) {
          if (timedOut_) {
            finish({false, "timed out and was killed"});
          } else {
            finish({status.success(), status.describe()});
          }
        },
        error);
  }
  if (!process_) {
    // Reported from the loop so that the owner has stored this object before `done` runs.
    timer_ = loop_.addTimer(std::chrono::milliseconds(0), [this, error] {
      finish({false, error});
    });
    return;
  }
  timer_ = loop_.addTimer(timeout, [this] {
    timer_ = 0;
    timedOut_ = true;
    process_->signalGroup(SIGKILL);
  });
}

TimedCommand::~TimedCommand() {
  if (timer_ != 0) loop_.cancelTimer(timer_);
}

void TimedCommand::finish(const Outcome& outcome) {
  if (timer_ != 0) loop_.cancelTimer(timer_);
  timer_ = 0;
  auto done = std::move(done_);
  if (done) done(outcome);  // may destroy this object
}

}  // namespace sm::supervisor

#include "manager/ctl/follow_loop.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>

#include <algorithm>
#include <atomic>

#include <fmt/format.h>

#include "manager/ctl/cli_error.hpp"

namespace sm::ctl {

namespace {

sigset_t blockedStopSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

}  // namespace

StopSignals::StopSignals() : fd_([] {
  const auto set = blockedStopSignals();
  return ::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}()) {}

FollowLoop::FollowLoop(zk::Session& session, std::string what, std::string zk)
    : watches_(std::make_shared<ArmedWatches>()),
      sessionLost_(std::make_shared<std::atomic<bool>>(false)),
      what_(std::move(what)),
      zk_(std::move(zk)) {
  session.addStateListener([lost = sessionLost_, watches = watches_](zk::SessionState state) {
    if (state == zk::SessionState::Expired || state == zk::SessionState::AuthFailed) *lost = true;
    watches->wake();  // a reconnect may have folded changes together: read again
  });
}

FollowLoop::End FollowLoop::run(const std::function<bool()>& read, Clock::time_point deadline,
                                const StopSignals* stop) {
  for (;;) {
    if (*sessionLost_) {
      throw operationFailed(fmt::format("{}: the ZooKeeper session at {} expired", what_, zk_));
    }
    try {
      if (read()) return End::Done;
    } catch (const zk::ZkError& e) {
      if (!e.isConnectionLoss()) throw;
      watches_->reset();  // the failed read left no watch; the state listener wakes us
    }
    int timeoutMs = -1;
    if (deadline != Clock::time_point::max()) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) return End::Deadline;
      timeoutMs = static_cast<int>(std::min<std::int64_t>(left, 1 << 30));
    }
    pollfd fds[2] = {{watches_->fd(), POLLIN, 0}, {stop ? stop->fd() : -1, POLLIN, 0}};
    if (::poll(fds, 2, timeoutMs) == 0) return End::Deadline;
    if (fds[1].revents & POLLIN) return End::Stopped;
    watches_->drain();
  }
}

}  // namespace sm::ctl

#include "manager/supervisor/output_command.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sm::supervisor {

OutputCommand::OutputCommand(EventLoop& loop, OrphanGuard& guard,
                             const std::vector<std::string>& argv,
                             const std::vector<std::string>& environment,
                             const std::string& workingDir, std::chrono::milliseconds timeout,
                             std::size_t limit, Done done)
    : loop_(loop), limit_(limit), done_(std::move(done)) {
  int fds[2] = {-1, -1};
  // Only our end is non-blocking: the command's stdout must block when the pipe is full (a
  // non-blocking one makes a chatty command fail with EAGAIN).
  if (::pipe2(fds, O_CLOEXEC) != 0 || ::fcntl(fds[0], F_SETFL, O_NONBLOCK) != 0) {
    const std::string error = std::string("pipe: ") + std::strerror(errno);
    // Reported through a command that cannot start, from the loop like every outcome.
    command_ = std::make_unique<TimedCommand>(loop_, guard, std::vector<std::string>{}, environment,
                                              workingDir, timeout,
                                              [this, error](const TimedCommand::Outcome&) {
                                                auto callback = std::move(done_);
                                                if (callback) callback({false, error, "", false});
                                              });
    return;
  }
  readFd_ = fds[0];
  watch_ = loop_.watchFd(readFd_, EPOLLIN, [this](std::uint32_t) { drain(); });
  command_ = std::make_unique<TimedCommand>(
      loop_, guard, argv, environment, workingDir, timeout,
      [this](const TimedCommand::Outcome& outcome) {
        // What the command wrote before it ended is in the pipe now (a child it left behind may
        // still hold the pipe open: what it writes later is not waited for).
        drain();
        closePipe();
        auto callback = std::move(done_);
        if (callback) callback({outcome.ok, outcome.detail, std::move(output_), truncated_});
      },
      fds[1]);
  ::close(fds[1]);  // the child has its copy
}

OutputCommand::~OutputCommand() {
  command_.reset();
  closePipe();
}

void OutputCommand::drain() {
  if (readFd_ < 0) return;
  char buffer[4096];
  for (;;) {
    const auto n = ::read(readFd_, buffer, sizeof buffer);
    if (n > 0) {
      const auto room = limit_ - std::min(limit_, output_.size());
      const auto take = std::min<std::size_t>(room, static_cast<std::size_t>(n));
      output_.append(buffer, take);
      truncated_ = truncated_ || take < static_cast<std::size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) closePipe();  // every writer is gone
    return;                   // EAGAIN: nothing more for now
  }
}

void OutputCommand::closePipe() {
  if (watch_ != 0) loop_.unwatchFd(watch_);
  watch_ = 0;
  if (readFd_ >= 0) ::close(readFd_);
  readFd_ = -1;
}

}  // namespace sm::supervisor

#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "manager/supervisor/event_loop.hpp"
#include "manager/supervisor/orphan_guard.hpp"
#include "manager/supervisor/timed_command.hpp"

namespace sm::supervisor {

// A TimedCommand whose standard output is kept, up to `limit` bytes (the rest is read and
// dropped, so that a chatty command never blocks on a full pipe): a query such as a promotion's
// score hook. Event loop thread only; destroying it kills the command and `done` never comes.
class OutputCommand {
 public:
  struct Outcome {
    bool ok = false;     // started, exited 0, within the timeout
    std::string detail;  // how it ended
    std::string output;  // its first `limit` bytes of stdout
    bool truncated = false;
  };
  using Done = std::function<void(const Outcome&)>;

  OutputCommand(EventLoop& loop, OrphanGuard& guard, const std::vector<std::string>& argv,
                const std::vector<std::string>& environment, const std::string& workingDir,
                std::chrono::milliseconds timeout, std::size_t limit, Done done);
  ~OutputCommand();
  OutputCommand(const OutputCommand&) = delete;
  OutputCommand& operator=(const OutputCommand&) = delete;

 private:
  void drain();
  void closePipe();

  EventLoop& loop_;
  std::size_t limit_;
  Done done_;
  int readFd_ = -1;
  EventLoop::WatchId watch_ = 0;
  std::string output_;
  bool truncated_ = false;
  std::unique_ptr<TimedCommand> command_;
};

}  // namespace sm::supervisor

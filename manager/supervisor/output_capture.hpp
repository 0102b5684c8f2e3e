#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "manager/supervisor/event_loop.hpp"
#include "manager/supervisor/rotating_log.hpp"

namespace sm::supervisor {

// Copies what processes write into pipes to one rotating log file, on the event loop. One capture
// per stream of an instance; each (re)start attaches a new pipe.
class OutputCapture {
 public:
  OutputCapture(EventLoop& loop, std::string path, std::size_t maxBytes, int keepFiles);
  ~OutputCapture();
  OutputCapture(const OutputCapture&) = delete;
  OutputCapture& operator=(const OutputCapture&) = delete;

  // Returns the write end for the child (CLOEXEC; the caller closes it after spawning), or -1.
  int openPipe();
  // Reads whatever is buffered now. After the writers are gone this empties every pipe, so the log
  // is complete before an exit is reported.
  void drain();

 private:
  // Returns false at EOF or error.
  bool readFrom(int fd);
  void detach(int fd);

  EventLoop& loop_;
  RotatingLog log_;
  std::map<int, EventLoop::WatchId> pipes_;  // read end -> watch
};

}  // namespace sm::supervisor

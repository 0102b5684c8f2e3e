#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "manager/supervisor/event_loop.hpp"

namespace sm::supervisor {

// One non-blocking connect to 127.0.0.1:<port> on the event loop, bounded by a timeout. Destroying
// it cancels the probe; `done` is then never called.
class TcpProbe {
 public:
  using Done = std::function<void(bool ok, const std::string& detail)>;

  TcpProbe(EventLoop& loop, int port, std::chrono::milliseconds timeout, Done done);
  ~TcpProbe();
  TcpProbe(const TcpProbe&) = delete;
  TcpProbe& operator=(const TcpProbe&) = delete;

 private:
  void finish(bool ok, const std::string& detail);

  EventLoop& loop_;
  int fd_ = -1;
  EventLoop::WatchId watch_ = 0;
  EventLoop::TimerId timer_ = 0;
  Done done_;
};

}  // namespace sm::supervisor

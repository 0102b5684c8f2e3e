#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "manager/supervisor/event_loop.hpp"

namespace sm::supervisor {

// One non-blocking connect to 127.0.0.1:<port> on the event loop, bounded by a timeout; with an
// exchange, the request is sent and the answer must start as expected within the same timeout.
// Destroying it cancels the probe; `done` is then never called.
class TcpProbe {
 public:
  using Done = std::function<void(bool ok, const std::string& detail)>;
  struct Exchange {
    std::string send;    // written once connected ("" sends nothing)
    std::string expect;  // the answer's first bytes ("" expects no answer)
  };

  TcpProbe(EventLoop& loop, int port, Exchange exchange, std::chrono::milliseconds timeout,
           Done done);
  ~TcpProbe();
  TcpProbe(const TcpProbe&) = delete;
  TcpProbe& operator=(const TcpProbe&) = delete;

 private:
  void finish(bool ok, const std::string& detail);
  void onConnected();
  void onReadable();

  EventLoop& loop_;
  int port_;
  Exchange exchange_;
  std::string answer_;
  bool connected_ = false;
  int fd_ = -1;
  EventLoop::WatchId watch_ = 0;
  EventLoop::TimerId timer_ = 0;
  Done done_;
};

}  // namespace sm::supervisor

#pragma once
// The daemon's read-only HTTP endpoint (servicesmgr --http ADDR:PORT), served by cpp-httplib on
// its own threads. It reads only what the reconcile loop published on the StateBoard, so no
// request ever waits for the loop or holds it up.
//
// Slow and idle clients cannot starve it: the listening socket defers accept() until a request's
// first bytes arrived (TCP_DEFER_ACCEPT), a connection that still sends nothing is closed after
// about 10 ms, one request is served per connection, reads and writes time out, and a bounded
// pool of workers serves them with a bounded queue (a full queue leaves new connections in the
// kernel's backlog). Log followers, which hold a worker, are few and time-limited.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "manager/observe/http_address.hpp"
#include "manager/observe/state_board.hpp"

namespace sm::observe {

struct HttpEndpointOptions {
  HttpAddress address;
  int workers = 4;
  std::size_t maxQueued = 64;
  std::chrono::milliseconds ioTimeout{2000};
  std::chrono::seconds staleAfter{30};
  int maxFollowers = 2;
  std::chrono::seconds maxFollow{300};
};

class HttpEndpoint {
 public:
  HttpEndpoint(const StateBoard& board, HttpEndpointOptions options);
  ~HttpEndpoint();
  HttpEndpoint(const HttpEndpoint&) = delete;
  HttpEndpoint& operator=(const HttpEndpoint&) = delete;

  // Binds and starts serving; throws std::runtime_error when the address cannot be bound.
  void start();
  // The bound port (the chosen one when the address said 0).
  int port() const { return port_; }
  // Stops accepting, ends followers, and joins every thread.
  void stop();

 private:
  class Server;
  const StateBoard& board_;
  HttpEndpointOptions options_;
  std::unique_ptr<Server> server_;
  std::thread listener_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> followers_{0};
  int port_ = 0;
};

}  // namespace sm::observe

#pragma once

#include <mutex>
#include <string>

namespace sm::daemon {

// The writing end of one lock-server connection, shared by the lock thread and the session's
// client thread: the latter tells a waiter "held" the moment its predecessor's delete arrives,
// one thread hop earlier than the lock thread could (lock_server.hpp). Lines never interleave, and
// nothing is written once the lock thread has closed the socket (its number may be reused).
class LockSocketWriter {
 public:
  explicit LockSocketWriter(int fd) : fd_(fd) {}
  LockSocketWriter(const LockSocketWriter&) = delete;
  LockSocketWriter& operator=(const LockSocketWriter&) = delete;

  // One whole line without blocking; false when closed, or when the peer does not read (the socket
  // is then shut down, and its EOF ends the connection on the lock thread).
  bool write(const std::string& line);
  // Writes `lastLine` (if any), then closes the socket; later writes do nothing.
  void close(const std::string& lastLine = "");

 private:
  bool writeLocked(const std::string& line);

  std::mutex mutex_;
  int fd_;
  bool closed_ = false;
};

}  // namespace sm::daemon

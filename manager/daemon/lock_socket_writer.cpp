#include "manager/daemon/lock_socket_writer.hpp"

#include <sys/socket.h>
#include <unistd.h>

namespace sm::daemon {

bool LockSocketWriter::write(const std::string& line) {
  std::lock_guard lock(mutex_);
  return writeLocked(line);
}

bool LockSocketWriter::writeLocked(const std::string& line) {
  if (closed_) return false;
  const auto n = ::send(fd_, line.data(), line.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n == static_cast<ssize_t>(line.size())) return true;
  ::shutdown(fd_, SHUT_RDWR);
  return false;
}

void LockSocketWriter::close(const std::string& lastLine) {
  std::lock_guard lock(mutex_);
  if (closed_) return;
  if (!lastLine.empty()) writeLocked(lastLine);
  closed_ = true;
  ::close(fd_);
}

}  // namespace sm::daemon

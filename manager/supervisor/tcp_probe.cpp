#include "manager/supervisor/tcp_probe.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sm::supervisor {

TcpProbe::TcpProbe(EventLoop& loop, int port, std::chrono::milliseconds timeout, Done done)
    : loop_(loop), done_(std::move(done)) {
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  // Outcomes are reported from the loop, never from inside the constructor, so that the owner
  // has finished storing this object before `done` runs.
  if (fd_ < 0) {
    std::string detail = std::string("socket: ") + std::strerror(errno);
    timer_ =
        loop_.addTimer(std::chrono::milliseconds(0), [this, detail] { finish(false, detail); });
    return;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  int rc = connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address);
  if (rc != 0 && errno != EINPROGRESS) {
    std::string detail = "connect 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(errno);
    timer_ =
        loop_.addTimer(std::chrono::milliseconds(0), [this, detail] { finish(false, detail); });
    return;
  }
  watch_ = loop_.watchFd(fd_, EPOLLOUT, [this, port](std::uint32_t) {
    int error = 0;
    socklen_t length = sizeof error;
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error == 0) {
      finish(true, {});
    } else {
      finish(false, "connect 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(error));
    }
  });
  timer_ = loop_.addTimer(timeout, [this, port] {
    finish(false, "connect 127.0.0.1:" + std::to_string(port) + ": timed out");
  });
}

TcpProbe::~TcpProbe() {
  if (watch_ != 0) loop_.unwatchFd(watch_);
  if (timer_ != 0) loop_.cancelTimer(timer_);
  if (fd_ >= 0) close(fd_);
}

void TcpProbe::finish(bool ok, const std::string& detail) {
  if (watch_ != 0) loop_.unwatchFd(watch_);
  watch_ = 0;
  loop_.cancelTimer(timer_);
  timer_ = 0;
  auto done = std::move(done_);
  if (done) done(ok, detail);  // may destroy this object
}

}  // namespace sm::supervisor

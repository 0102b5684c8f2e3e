#include "manager/supervisor/tcp_probe.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace sm::supervisor {

TcpProbe::TcpProbe(EventLoop& loop, int port, Exchange exchange,
                   std::chrono::milliseconds timeout, Done done)
    : loop_(loop), port_(port), exchange_(std::move(exchange)), done_(std::move(done)) {
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
      onConnected();
    } else {
      finish(false, "connect 127.0.0.1:" + std::to_string(port) + ": " + std::strerror(error));
    }
  });
  timer_ = loop_.addTimer(timeout, [this, port] {
    finish(false, connected_ ? "127.0.0.1:" + std::to_string(port) + ": no answer in time"
                             : "connect 127.0.0.1:" + std::to_string(port) + ": timed out");
  });
}

void TcpProbe::onConnected() {
  connected_ = true;
  if (exchange_.send.empty() && exchange_.expect.empty()) return finish(true, {});
  const auto where = "127.0.0.1:" + std::to_string(port_);
  // A few bytes into a fresh socket's empty buffer: one write takes them all.
  if (!exchange_.send.empty() &&
      ::send(fd_, exchange_.send.data(), exchange_.send.size(), MSG_NOSIGNAL) !=
          static_cast<ssize_t>(exchange_.send.size())) {
    return finish(false, where + ": send: " + std::strerror(errno));
  }
  if (exchange_.expect.empty()) return finish(true, {});
  loop_.unwatchFd(watch_);
  watch_ = loop_.watchFd(fd_, EPOLLIN, [this](std::uint32_t) { onReadable(); });
}

void TcpProbe::onReadable() {
  const auto where = "127.0.0.1:" + std::to_string(port_);
  char buffer[512];
  const auto n = ::recv(fd_, buffer, sizeof buffer, 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n > 0) answer_.append(buffer, static_cast<std::size_t>(n));
  if (answer_.size() >= exchange_.expect.size() || n <= 0) {
    if (answer_.rfind(exchange_.expect, 0) == 0) return finish(true, {});
    const auto got = answer_.substr(0, std::min<std::size_t>(answer_.size(), 40));
    return finish(false, n < 0 ? where + ": recv: " + std::strerror(errno)
                               : where + ": answered \"" + got + "\", expected it to start with \"" +
                                     exchange_.expect + "\"");
  }
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

#include "tests/support/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sm::test {

namespace {

using Clock = std::chrono::steady_clock;

int connectTo(int port, Clock::time_point deadline, std::string& error) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 &&
      errno != EINPROGRESS) {
    error = std::string("connect: ") + std::strerror(errno);
    ::close(fd);
    return -1;
  }
  pollfd p{fd, POLLOUT, 0};
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  int soError = 0;
  socklen_t length = sizeof soError;
  if (::poll(&p, 1, static_cast<int>(std::max<long>(0, left.count()))) != 1 ||
      ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &length) != 0 || soError != 0) {
    error = soError ? std::string("connect: ") + std::strerror(soError) : "connect: timed out";
    ::close(fd);
    return -1;
  }
  return fd;
}

// Sends `bytes`, then reads until the peer closes, `stopAtLine` sees a line end, or the deadline.
std::string exchange(int port, const std::string& bytes, std::chrono::milliseconds timeout,
                     bool stopAtLine, std::string& error) {
  const auto deadline = Clock::now() + timeout;
  const int fd = connectTo(port, deadline, error);
  if (fd < 0) return {};
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    const auto n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      pollfd p{fd, POLLOUT, 0};
      ::poll(&p, 1, 10);
      if (Clock::now() >= deadline) break;
      continue;
    }
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  std::string answer;
  char buffer[4096];
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) {
      error = "timed out";
      break;
    }
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    const auto n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
    if (n <= 0) break;
    answer.append(buffer, static_cast<std::size_t>(n));
    if (stopAtLine && answer.find('\n') != std::string::npos) break;
  }
  ::close(fd);
  return answer;
}

}  // namespace

HttpResult httpGet(int port, const std::string& target, std::chrono::milliseconds timeout) {
  HttpResult result;
  const auto answer = exchange(port, "GET " + target + " HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n",
                               timeout, false, result.error);
  // "HTTP/1.1 200 OK\r\n...\r\n\r\nbody"
  if (answer.rfind("HTTP/1.", 0) != 0 || answer.size() < 12) {
    if (result.error.empty()) result.error = "not an HTTP answer: " + answer.substr(0, 80);
    return result;
  }
  result.status = std::atoi(answer.substr(9, 3).c_str());
  const auto headersEnd = answer.find("\r\n\r\n");
  if (headersEnd != std::string::npos) result.body = answer.substr(headersEnd + 4);
  return result;
}

std::string sendRaw(int port, const std::string& bytes, std::chrono::milliseconds timeout) {
  std::string error;
  return exchange(port, bytes, timeout, false, error);
}

std::string askLine(int port, const std::string& line, std::chrono::milliseconds timeout) {
  std::string error;
  auto answer = exchange(port, line + "\n", timeout, true, error);
  const auto end = answer.find('\n');
  return end == std::string::npos ? std::string() : answer.substr(0, end);
}

int connectIdle(int port) {
  std::string error;
  return connectTo(port, Clock::now() + std::chrono::seconds(2), error);
}

}  // namespace sm::test

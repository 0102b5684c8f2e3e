#include "manager/zkserver/four_letter_word.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

namespace sm::zkserver {

namespace {

class Socket {
 public:
  Socket() : fd_(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) {}
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

bool waitFor(int fd, short events, std::chrono::steady_clock::time_point deadline) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    int rc = ::poll(&p, 1, static_cast<int>(left.count()));
    if (rc > 0) return true;
    if (rc < 0 && errno != EINTR) return false;
  }
}

}  // namespace

std::optional<std::string> fourLetterWord(int port, const std::string& word,
                                          std::chrono::milliseconds timeout) {
  return fourLetterWord("127.0.0.1", port, word, timeout);
}

std::optional<std::string> fourLetterWord(const std::string& host, int port,
                                          const std::string& word,
                                          std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  Socket socket;
  if (socket.fd() < 0) return std::nullopt;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) return std::nullopt;
  // Non-blocking, so that a server whose packets are dropped costs the timeout, not the kernel's
  // SYN retries (minutes).
  const int flags = ::fcntl(socket.fd(), F_GETFL);
  ::fcntl(socket.fd(), F_SETFL, flags | O_NONBLOCK);
  if (::connect(socket.fd(), reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    if (errno != EINPROGRESS || !waitFor(socket.fd(), POLLOUT, deadline)) return std::nullopt;
    int error = 0;
    socklen_t length = sizeof error;
    if (::getsockopt(socket.fd(), SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0) {
      return std::nullopt;
    }
  }
  ::fcntl(socket.fd(), F_SETFL, flags);
  if (::send(socket.fd(), word.data(), word.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(word.size())) {
    return std::nullopt;
  }
  std::string answer;
  char buffer[4096];
  while (waitFor(socket.fd(), POLLIN, deadline)) {
    ssize_t n = ::recv(socket.fd(), buffer, sizeof buffer, 0);
    if (n > 0) {
      answer.append(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return answer;  // the server closes the connection after answering
  }
  return std::nullopt;
}

std::optional<std::string> serverMode(int port) {
  return serverMode("127.0.0.1", port);
}

std::optional<std::string> serverMode(const std::string& host, int port) {
  auto answer = fourLetterWord(host, port, "srvr", std::chrono::milliseconds(1000));
  if (!answer) return std::nullopt;
  std::istringstream lines(*answer);
  std::string line;
  const std::string key = "Mode: ";
  while (std::getline(lines, line)) {
    if (line.rfind(key, 0) == 0) return line.substr(key.size());
  }
  return std::nullopt;
}

std::optional<long long> monitorValue(int port, const std::string& key) {
  auto answer = fourLetterWord(port, "mntr");
  if (!answer) return std::nullopt;
  std::istringstream lines(*answer);
  std::string line;
  while (std::getline(lines, line)) {
    auto tab = line.find('\t');
    if (tab == std::string::npos || line.compare(0, tab, key) != 0) continue;
    try {
      return std::stoll(line.substr(tab + 1));
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace sm::zkserver

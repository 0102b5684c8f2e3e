#include "tests/hosts/support/netns_socket.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <thread>

namespace sm::test {

namespace {

// Runs `make` on a thread inside the namespace of `host` (or ours for nullptr).
int socketIn(const NetHost* host, const std::function<int()>& make) {
  int result = -1;
  std::thread([&] {
    if (host != nullptr) {
      int nsFd = ::open(("/run/netns/" + host->netns).c_str(), O_RDONLY | O_CLOEXEC);
      if (nsFd < 0) return;
      const bool entered = ::setns(nsFd, CLONE_NEWNET) == 0;
      ::close(nsFd);
      if (!entered) return;
    }
    result = make();
  }).join();
  return result;
}

sockaddr_in addressOf(const std::string& address, int port) {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, address.c_str(), &in.sin_addr);
  return in;
}

}  // namespace

int listenIn(const NetHost& host, int port) {
  return socketIn(&host, [&] {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    auto in = addressOf(host.address, port);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&in), sizeof in) != 0 ||
        ::listen(fd, 16) != 0) {
      if (fd >= 0) ::close(fd);
      return -1;
    }
    return fd;
  });
}

std::string connectFrom(const NetHost* from, const std::string& address, int port,
                        std::chrono::milliseconds timeout) {
  int fd = socketIn(
      from, [] { return ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0); });
  if (fd < 0) return "no socket";
  auto in = addressOf(address, port);
  std::string outcome = "connected";
  if (::connect(fd, reinterpret_cast<sockaddr*>(&in), sizeof in) != 0) {
    if (errno != EINPROGRESS) {
      outcome = std::strerror(errno);
    } else {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, static_cast<int>(timeout.count())) == 0) {
        outcome = "timeout";
      } else {
        int error = 0;
        socklen_t length = sizeof error;
        ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length);
        if (error != 0) outcome = error == ECONNREFUSED ? "refused" : std::strerror(error);
      }
    }
  }
  ::close(fd);
  return outcome;
}

std::string askLine(const std::string& address, int port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  timeval twoSeconds{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &twoSeconds, sizeof twoSeconds);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &twoSeconds, sizeof twoSeconds);
  auto in = addressOf(address, port);
  std::string line;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&in), sizeof in) == 0) {
    const std::string text = request + "\n";
    if (::send(fd, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size())) {
      char c;
      while (line.size() < 65536 && ::recv(fd, &c, 1, 0) == 1 && c != '\n') line += c;
    }
  }
  ::close(fd);
  return line;
}

}  // namespace sm::test

#include "manager/zk/server_probe.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <vector>

namespace sm::zk {

namespace {

// "host:port" items of a connect string, without its chroot.
std::vector<std::pair<std::string, std::string>> serversOf(const std::string& connectString) {
  std::vector<std::pair<std::string, std::string>> servers;
  const auto hosts = connectString.substr(0, connectString.find('/'));
  std::size_t start = 0;
  while (start <= hosts.size()) {
    auto end = hosts.find(',', start);
    if (end == std::string::npos) end = hosts.size();
    const auto item = hosts.substr(start, end - start);
    const auto colon = item.rfind(':');
    if (colon != std::string::npos) servers.emplace_back(item.substr(0, colon), item.substr(colon + 1));
    start = end + 1;
  }
  return servers;
}

}  // namespace

bool anyServerAccepts(const std::string& connectString, std::chrono::milliseconds timeout) {
  std::vector<pollfd> pending;
  bool accepted = false;
  for (const auto& [host, port] : serversOf(connectString)) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    // A name that does not resolve is no server: it can never be reached.
    if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0) continue;
    for (auto* a = found; a != nullptr; a = a->ai_next) {
      const int fd = ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      if (fd < 0) continue;
      if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
        accepted = true;
        ::close(fd);
      } else if (errno == EINPROGRESS) {
        pending.push_back({fd, POLLOUT, 0});
      } else {
        ::close(fd);
      }
    }
    ::freeaddrinfo(found);
  }
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!accepted && !pending.empty()) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || ::poll(pending.data(), pending.size(), static_cast<int>(left.count())) <= 0) {
      accepted = true;  // no answer either way in time: not a refusal
      break;
    }
    for (auto it = pending.begin(); it != pending.end();) {
      if (it->revents == 0) {
        ++it;
        continue;
      }
      int error = 0;
      socklen_t length = sizeof error;
      ::getsockopt(it->fd, SOL_SOCKET, SO_ERROR, &error, &length);
      accepted = accepted || error == 0;
      ::close(it->fd);
      it = pending.erase(it);
    }
  }
  for (const auto& p : pending) ::close(p.fd);
  return accepted;
}

}  // namespace sm::zk

#include "manager/supervisor/port_allocator.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

namespace sm::supervisor {

namespace {

sockaddr_in loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  return address;
}

int askKernelForPort(std::string& error) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return 0;
  }
  sockaddr_in address = loopback(0);
  socklen_t length = sizeof address;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    error = std::string("bind 127.0.0.1:0: ") + std::strerror(errno);
  } else if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    error = std::string("getsockname: ") + std::strerror(errno);
  } else {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

}  // namespace

bool portIsFree(int port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return true;  // cannot tell: the port is kept
  const int on = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  sockaddr_in address = loopback(port);
  const bool taken =
      bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 && errno == EADDRINUSE;
  close(fd);
  return !taken;
}

int PortAllocator::allocate(std::string& error) {
  for (int attempt = 0; attempt < 32; ++attempt) {
    int port = askKernelForPort(error);
    if (port == 0) return 0;
    if (inUse_.insert(port).second) return port;
  }
  error = "no free port found that is not already given to another instance";
  return 0;
}

void PortAllocator::release(int port) {
  inUse_.erase(port);
}

}  // namespace sm::supervisor

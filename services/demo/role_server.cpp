#include "services/demo/role_server.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace sm::services::demo {

namespace {

sockaddr_in loopback(int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  return address;
}

void setTimeouts(int fd) {
  timeval oneSecond{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &oneSecond, sizeof oneSecond);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &oneSecond, sizeof oneSecond);
}

void sendAll(int fd, const std::string& text) {
  std::size_t sent = 0;
  while (sent < text.size()) {
    ssize_t n = send(fd, text.data() + sent, text.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    sent += static_cast<std::size_t>(n);
  }
}

// The first line of the request, without its line end.
std::string readLine(int fd) {
  std::string line;
  char c;
  while (line.size() < 4096) {
    ssize_t n = recv(fd, &c, 1, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || c == '\n') break;
    if (c != '\r') line += c;
  }
  return line;
}

}  // namespace

int RoleServer::listenOn(const std::string& bindAddress, int port, std::string& error) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
    return -1;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address = loopback(port);
  if (inet_pton(AF_INET, bindAddress.c_str(), &address.sin_addr) != 1) {
    error = bindAddress + ": not an IPv4 address";
    close(fd);
    return -1;
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || listen(fd, 16) != 0) {
    error = bindAddress + ":" + std::to_string(port) + ": " + std::strerror(errno);
    close(fd);
    return -1;
  }
  return fd;
}

void RoleServer::serve(int client, RoleTracker& tracker) {
  setTimeouts(client);
  std::string request = readLine(client);
  if (request.rfind("GET ", 0) == 0) {
    std::string body = tracker.describeJson() + "\n";
    sendAll(client, "HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
                        std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body);
  } else if (request == "ROLE") {
    sendAll(client, tracker.describeJson() + "\n");
  } else if (request.rfind("RELOAD", 0) == 0) {
    std::string via = request.size() > 7 ? request.substr(7, request.find(' ', 7) - 7) : "reload";
    tracker.refresh(via);
    sendAll(client, tracker.describeJson() + "\n");
  } else if (request == "MASTER") {
    std::string error;
    const std::string endpoint = tracker.masterHttpEndpoint();
    const std::string answer =
        endpoint.empty() ? std::string() : askEndpoint(endpoint, "ROLE", error);
    if (endpoint.empty()) {
      sendAll(client, "ERR the role file names no master endpoint\n");
    } else if (answer.rfind('{', 0) != 0) {
      sendAll(client, "ERR master at " + endpoint + ": " + (error.empty() ? answer : error) + "\n");
    } else {
      sendAll(client, "{\"endpoint\":\"" + endpoint + "\",\"master\":" + answer + "}\n");
    }
  } else {
    sendAll(client, "ERR unknown request; use GET, ROLE, RELOAD <via> or MASTER\n");
  }
  close(client);
}

std::string askEndpoint(const std::string& endpoint, const std::string& request,
                        std::string& error) {
  const auto colon = endpoint.rfind(':');
  if (colon == std::string::npos) {
    error = endpoint + ": not address:port";
    return {};
  }
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string host = endpoint.substr(0, colon);
  const std::string port = endpoint.substr(colon + 1);
  if (int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    error = endpoint + ": " + gai_strerror(rc);
    return {};
  }
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  std::string answer;
  if (fd < 0) {
    error = std::string("socket: ") + std::strerror(errno);
  } else {
    setTimeouts(fd);
    if (connect(fd, found->ai_addr, found->ai_addrlen) != 0) {
      error = "connect " + endpoint + ": " + std::strerror(errno);
    } else {
      sendAll(fd, request + "\n");
      answer = readLine(fd);
      if (answer.empty()) error = endpoint + ": no answer";
    }
    close(fd);
  }
  freeaddrinfo(found);
  return answer;
}

int notifyRunningService(int port, const std::string& role) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return 1;
  setTimeouts(fd);
  sockaddr_in address = loopback(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    std::fprintf(stderr, "sm-demo-service --notify: connect 127.0.0.1:%d: %s\n", port,
                 std::strerror(errno));
    close(fd);
    return 1;
  }
  sendAll(fd, "RELOAD hook " + role + "\n");
  std::string answer = readLine(fd);
  close(fd);
  std::printf("%s\n", answer.c_str());
  return answer.rfind('{', 0) == 0 ? 0 : 1;
}

}  // namespace sm::services::demo

#include "tests/support/reply_dropping_proxy.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace sm::test {

namespace {

bool sendAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

int32_t readInt32(const char* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return static_cast<int32_t>(ntohl(v));
}

sockaddr_in loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

}  // namespace

ReplyDroppingProxy::ReplyDroppingProxy(int serverPort) : serverPort_(serverPort) {
  listener_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto address = loopback(0);
  socklen_t length = sizeof address;
  if (listener_ < 0 ||
      ::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener_, 16) != 0 ||
      ::getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length) != 0 ||
      ::pipe(wake_) != 0) {
    throw std::runtime_error(std::string("proxy: ") + std::strerror(errno));
  }
  port_ = ntohs(address.sin_port);
  thread_ = std::thread(&ReplyDroppingProxy::run, this);
}

ReplyDroppingProxy::~ReplyDroppingProxy() {
  char stop = 's';
  [[maybe_unused]] auto ignored = ::write(wake_[1], &stop, 1);
  thread_.join();
  cutAll();
  ::close(listener_);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

void ReplyDroppingProxy::run() {
  for (;;) {
    std::vector<pollfd> fds = {{wake_[0], POLLIN, 0}, {listener_, POLLIN, 0}};
    for (auto& link : links_) {
      fds.push_back({link.client, POLLIN, 0});
      fds.push_back({link.server, POLLIN, 0});
    }
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[0].revents) return;
    if (fds[1].revents & POLLIN) accept();
    for (size_t i = 0; i < links_.size(); ++i) {
      bool ok = true;
      if (fds[2 + 2 * i].revents) ok = forwardFromClient(links_[i]);
      if (ok && fds[3 + 2 * i].revents) ok = forwardFromServer(links_[i]);
      if (!ok) {
        // A reply was dropped (every link is cut then) or a side hung up: the link list changed.
        if (links_.size() > i) {
          ::close(links_[i].client);
          ::close(links_[i].server);
          links_.erase(links_.begin() + static_cast<long>(i));
        }
        break;
      }
    }
  }
}

void ReplyDroppingProxy::accept() {
  int client = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
  if (client < 0) return;
  int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  auto address = loopback(serverPort_);
  if (server < 0 || ::connect(server, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(client);
    if (server >= 0) ::close(server);
    return;
  }
  links_.push_back(Link{client, server, false, {}});
}

bool ReplyDroppingProxy::forwardFromClient(Link& link) {
  char buffer[65536];
  ssize_t n = ::recv(link.client, buffer, sizeof buffer, 0);
  if (n <= 0) return false;
  return sendAll(link.server, buffer, static_cast<size_t>(n));
}

bool ReplyDroppingProxy::forwardFromServer(Link& link) {
  char buffer[65536];
  ssize_t n = ::recv(link.server, buffer, sizeof buffer, 0);
  if (n <= 0) return false;
  link.fromServer.insert(link.fromServer.end(), buffer, buffer + n);
  // Frames are a 4-byte length and a body; a reply's body starts with its request's xid (pings
  // are -2, watch events -1).
  for (;;) {
    if (link.fromServer.size() < 4) return true;
    const auto length = static_cast<size_t>(readInt32(link.fromServer.data()));
    if (link.fromServer.size() < 4 + length) return true;
    const bool isReply =
        link.handshakeDone && length >= 4 && readInt32(link.fromServer.data() + 4) >= 0;
    if (isReply && armed_.exchange(false)) {
      ++dropped_;
      cutAll();
      return false;
    }
    if (!sendAll(link.client, link.fromServer.data(), 4 + length)) return false;
    link.handshakeDone = true;
    link.fromServer.erase(link.fromServer.begin(),
                          link.fromServer.begin() + static_cast<long>(4 + length));
  }
}

void ReplyDroppingProxy::cutAll() {
  for (auto& link : links_) {
    ::close(link.client);
    ::close(link.server);
  }
  links_.clear();
}

}  // namespace sm::test

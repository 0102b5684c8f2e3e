#include "tests/chaos/session_tap.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstring>
#include <stdexcept>

#include <fmt/format.h>

namespace sm::test {

namespace {

// A relay stops reading from one side while this much waits for the other (a frozen daemon).
constexpr size_t kMaxPending = 1 << 20;

void setNonBlocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

sockaddr_in endpoint(const std::string& host, int port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  if (::inet_pton(AF_INET, host.c_str(), &address.sin_addr) != 1) {
    throw std::invalid_argument("session tap: not an IPv4 address: " + host);
  }
  address.sin_port = htons(static_cast<uint16_t>(port));
  return address;
}

std::vector<TapEndpoint> onLoopback(const std::vector<int>& ports) {
  std::vector<TapEndpoint> servers;
  for (int port : ports) servers.push_back({"127.0.0.1", port});
  return servers;
}

// A server behind a silent cut (tests/support/host_network.hpp) never answers a connect: the relay
// gives up after this and closes the daemon's side, so that the daemon tries its next server
// instead of the relay's one thread hanging for the kernel's SYN retries.
constexpr int kServerConnectTimeoutMs = 1000;

std::uint64_t bigEndian(const char* p, size_t bytes) {
  std::uint64_t value = 0;
  for (size_t i = 0; i < bytes; ++i) value = (value << 8) | static_cast<unsigned char>(p[i]);
  return value;
}

}  // namespace

SessionTap::SessionTap(std::vector<int> serverPorts)
    : SessionTap(onLoopback(serverPorts), "127.0.0.1") {}

SessionTap::SessionTap(std::vector<TapEndpoint> servers, std::string listenAddress)
    : servers_(std::move(servers)), listenAddress_(std::move(listenAddress)) {
  if (::pipe2(wake_, O_CLOEXEC | O_NONBLOCK) != 0) throw std::runtime_error("session tap: pipe");
  for (size_t i = 0; i < servers_.size(); ++i) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    auto address = endpoint(listenAddress_, 0);
    socklen_t length = sizeof address;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(fd, 64) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
      throw std::runtime_error(fmt::format("session tap: listen: {}", std::strerror(errno)));
    }
    setNonBlocking(fd);
    listeners_.push_back(fd);
    ports_.push_back(ntohs(address.sin_port));
  }
  thread_ = std::thread(&SessionTap::run, this);
}

SessionTap::~SessionTap() {
  stop_ = true;
  const char byte = 0;
  [[maybe_unused]] auto ignored = ::write(wake_[1], &byte, 1);
  if (thread_.joinable()) thread_.join();
  for (auto& link : links_) {
    ::close(link.client);
    ::close(link.server);
  }
  for (int fd : listeners_) ::close(fd);
  ::close(wake_[0]);
  ::close(wake_[1]);
}

std::string SessionTap::connectString() const {
  std::string hosts;
  for (int port : ports_) {
    hosts += fmt::format("{}{}:{}", hosts.empty() ? "" : ",", listenAddress_, port);
  }
  return hosts;
}

std::optional<zk::SessionCredentials> SessionTap::session() const {
  std::lock_guard lock(mutex_);
  return session_;
}

void SessionTap::forget() {
  std::lock_guard lock(mutex_);
  session_.reset();
}

std::optional<std::size_t> SessionTap::lastServer() const {
  const int index = lastServer_;
  if (index < 0) return std::nullopt;
  return static_cast<std::size_t>(index);
}

void SessionTap::cutOff(bool on) {
  cutOff_ = on;
  const char byte = 0;
  [[maybe_unused]] auto ignored = ::write(wake_[1], &byte, 1);
}

void SessionTap::run() {
  while (!stop_) {
    if (cutOff_) {
      // Nothing moves: no accept, no read, no write (what the kernel buffers stays there).
      pollfd wake{wake_[0], POLLIN, 0};
      ::poll(&wake, 1, 200);
      char drain[64];
      while (::read(wake_[0], drain, sizeof drain) > 0) {
      }
      continue;
    }
    std::vector<pollfd> fds;
    fds.push_back({wake_[0], POLLIN, 0});
    for (int fd : listeners_) fds.push_back({fd, POLLIN, 0});
    for (const auto& link : links_) {
      short clientEvents = link.toServer.size() < kMaxPending ? POLLIN : 0;
      short serverEvents = link.toClient.size() < kMaxPending ? POLLIN : 0;
      if (!link.toClient.empty()) clientEvents |= POLLOUT;
      if (!link.toServer.empty()) serverEvents |= POLLOUT;
      fds.push_back({link.client, clientEvents, 0});
      fds.push_back({link.server, serverEvents, 0});
    }
    if (::poll(fds.data(), fds.size(), 200) < 0) continue;
    for (size_t i = 0; i < listeners_.size(); ++i) {
      if (fds[1 + i].revents & POLLIN) accept(i);
    }
    const size_t base = 1 + listeners_.size();
    // Links accepted in this round have no pollfd yet: only the first `polled` ones are looked at.
    const size_t polled = (fds.size() - base) / 2;
    std::vector<bool> dead(links_.size(), false);
    for (size_t l = 0; l < polled; ++l) {
      auto& link = links_[l];
      const auto& c = fds[base + 2 * l];
      const auto& s = fds[base + 2 * l + 1];
      bool ok = true;
      if (c.revents & (POLLIN | POLLHUP | POLLERR))
        ok = pump(link.client, link.toServer, link, false);
      if (ok && (s.revents & (POLLIN | POLLHUP | POLLERR))) {
        ok = pump(link.server, link.toClient, link, true);
      }
      if (ok) ok = flush(link.server, link.toServer) && flush(link.client, link.toClient);
      if (!ok) {
        flush(link.client, link.toClient);  // what the server said last (e.g. "expired")
        dead[l] = true;
      }
    }
    for (size_t l = links_.size(); l-- > 0;) {
      if (!dead[l]) continue;
      ::close(links_[l].client);
      ::close(links_[l].server);
      links_.erase(links_.begin() + static_cast<std::ptrdiff_t>(l));
    }
    char drain[64];
    while (::read(wake_[0], drain, sizeof drain) > 0) {
    }
  }
}

void SessionTap::accept(size_t index) {
  for (;;) {
    const int client = ::accept4(listeners_[index], nullptr, nullptr, SOCK_CLOEXEC);
    if (client < 0) return;
    // Loopback connects answer at once: refused when the server is stopped, which the daemon
    // must see as a refused connection too.
    const int server = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    auto address = endpoint(servers_[index].address, servers_[index].port);
    const timeval connectTimeout{kServerConnectTimeoutMs / 1000,
                                 (kServerConnectTimeoutMs % 1000) * 1000};
    if (server >= 0) {
      ::setsockopt(server, SOL_SOCKET, SO_SNDTIMEO, &connectTimeout, sizeof connectTimeout);
    }
    if (server < 0 ||
        ::connect(server, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
      if (server >= 0) ::close(server);
      ::close(client);
      continue;
    }
    lastServer_ = static_cast<int>(index);
    setNonBlocking(client);
    setNonBlocking(server);
    Link link;
    link.client = client;
    link.server = server;
    links_.push_back(std::move(link));
  }
}

bool SessionTap::pump(int from, std::vector<char>& pending, Link& link, bool fromServer) {
  char buffer[16384];
  for (;;) {
    const ssize_t n = ::read(from, buffer, sizeof buffer);
    if (n > 0) {
      if (fromServer && !link.handshakeSeen) readHandshake(link, buffer, static_cast<size_t>(n));
      pending.insert(pending.end(), buffer, buffer + n);
      if (pending.size() >= kMaxPending) return true;
      continue;
    }
    if (n == 0) return false;
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  }
}

bool SessionTap::flush(int to, std::vector<char>& pending) {
  while (!pending.empty()) {
    const ssize_t n = ::send(to, pending.data(), pending.size(), MSG_NOSIGNAL);
    if (n > 0) {
      pending.erase(pending.begin(), pending.begin() + n);
      continue;
    }
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR);
  }
  return true;
}

// The server's answer to a connect request: length, protocolVersion, timeOut, sessionId,
// password (length-prefixed), readOnly. A session id of 0 means the server refused the session
// (expired): nothing to learn then.
void SessionTap::readHandshake(Link& link, const char* data, size_t size) {
  link.handshake.insert(link.handshake.end(), data, data + size);
  const auto& h = link.handshake;
  if (h.size() < 4) return;
  const size_t frame = bigEndian(h.data(), 4);
  if (h.size() < 4 + frame) return;
  link.handshakeSeen = true;
  if (frame < 20) return;
  const auto sessionId = static_cast<std::int64_t>(bigEndian(h.data() + 12, 8));
  const size_t passwordLength = bigEndian(h.data() + 20, 4);
  if (sessionId == 0 || frame < 20 + passwordLength) return;
  zk::SessionCredentials credentials;
  credentials.id = sessionId;
  credentials.password.assign(h.data() + 24, passwordLength);
  link.handshake.clear();
  std::lock_guard lock(mutex_);
  session_ = credentials;
}

}  // namespace sm::test

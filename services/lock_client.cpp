#include "services/lock_client.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "services/unix_socket_address.hpp"

namespace sm::services {

namespace {

using lockwire::Kind;
using lockwire::Message;

// Connects to a Unix socket path of any length (UnixSocketAddress).
int connectUnix(const std::string& path, std::string& error) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = std::strerror(errno);
    return -1;
  }
  const UnixSocketAddress address(path);
  if (!address.valid()) {
    error = "socket path too long";
    ::close(fd);
    return -1;
  }
  int rc;
  do {
    rc = ::connect(fd, address.get(), address.size());
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) {
    error = std::strerror(errno);
    ::close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

std::uint64_t lockClockNowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ull +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

LockClient::LockClient(const std::string& socketPath) {
  std::string path = socketPath;
  if (path.empty()) {
    const char* env = std::getenv("SM_DAEMON_SOCKET");
    if (!env || !*env) {
      throw LockError("SM_DAEMON_SOCKET is not set: not a process run by servicesmgr");
    }
    path = env;
  }
  std::string error;
  fd_ = connectUnix(path, error);
  if (fd_ < 0) throw LockError("cannot connect to the daemon at " + path + ": " + error);
}

LockClient::~LockClient() {
  if (fd_ >= 0) ::close(fd_);
}

void LockClient::send(const Message& message) {
  const std::string line = lockwire::encode(message);
  std::size_t sent = 0;
  while (sent < line.size()) {
    auto n = ::send(fd_, line.data() + sent, line.size() - sent, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = std::strerror(errno);
      // A daemon that refused the connection said why before it closed it.
      while (readSome(std::chrono::milliseconds(0))) {
      }
      while (auto line = nextLine()) {
        if (line->kind == Kind::Refused) {
          throw LockError("the daemon refused the connection: " + line->text);
        }
      }
      throw LockError("the daemon's connection is closed: " + why);
    }
    sent += static_cast<std::size_t>(n);
  }
}

bool LockClient::readSome(std::optional<std::chrono::milliseconds> wait) {
  if (closed_) return false;
  if (wait) {
    pollfd p{fd_, POLLIN, 0};
    const int ms = static_cast<int>(std::max<std::int64_t>(0, wait->count()));
    int rc;
    do {
      rc = ::poll(&p, 1, ms);
    } while (rc < 0 && errno == EINTR);
    if (rc <= 0) return false;
  }
  char chunk[4096];
  for (;;) {
    auto n = ::recv(fd_, chunk, sizeof(chunk), wait ? MSG_DONTWAIT : 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return false;
    if (n <= 0) {
      closed_ = true;
      for (const auto& [name, hold] : std::map<std::string, LockHold>(holds_)) {
        endHold(name, "the daemon closed the connection");
      }
      return false;
    }
    buffer_.append(chunk, static_cast<std::size_t>(n));
    return true;
  }
}

std::optional<Message> LockClient::nextLine() {
  auto newline = buffer_.find('\n');
  if (newline == std::string::npos) return std::nullopt;
  std::string line = buffer_.substr(0, newline);
  buffer_.erase(0, newline + 1);
  std::string error;
  auto message = lockwire::parse(line, &error);
  if (!message) throw LockError("the daemon sent a bad line: " + error);
  return message;
}

void LockClient::endHold(const std::string& name, const std::string& reason) {
  if (holds_.erase(name) > 0) ended_[name] = reason;
}

bool LockClient::applyNotice(const Message& message) {
  if (message.kind == Kind::Lease) {
    auto it = holds_.find(message.name);
    if (it != holds_.end() && message.leaseUntilMonoNs > it->second.leaseUntilMonoNs) {
      it->second.leaseUntilMonoNs = message.leaseUntilMonoNs;
    }
    return true;
  }
  if (message.kind == Kind::Lost && holds_.contains(message.name)) {
    endHold(message.name, message.text);
    return true;
  }
  return false;
}

void LockClient::expireLeases() {
  const auto now = lockClockNowNs();
  for (const auto& [name, hold] : std::map<std::string, LockHold>(holds_)) {
    if (hold.leaseUntilMonoNs <= now)
      endHold(name, "its lease passed (the daemon did not renew it)");
  }
}

Message LockClient::reply(const std::string& name) {
  for (;;) {
    while (auto message = nextLine()) {
      if (message->kind == Kind::Refused) {
        throw LockError("the daemon refused the connection: " + message->text);
      }
      if (applyNotice(*message)) continue;
      // An error without a name answers a request the daemon could not read at all.
      if (message->name == name || (message->kind == Kind::Error && message->name.empty())) {
        return *message;
      }
    }
    if (closed_) throw LockError("the daemon closed the connection");
    readSome(std::nullopt);
  }
}

std::optional<LockHold> LockClient::acquire(const std::string& name,
                                            std::chrono::milliseconds timeout) {
  Message request;
  request.kind = Kind::Acquire;
  request.name = name;
  request.timeoutMs = timeout.count() < 0 ? -1 : timeout.count();
  send(request);
  const auto answer = reply(name);
  switch (answer.kind) {
    case Kind::Held: {
      LockHold hold{name, answer.token, answer.leaseUntilMonoNs};
      holds_[name] = hold;
      ended_.erase(name);
      return hold;
    }
    case Kind::Busy:
      return std::nullopt;
    case Kind::Lost:
      throw LockError("lock " + name + " lost while waiting: " + answer.text);
    default:
      throw LockError(answer.text.empty() ? "unexpected answer" : answer.text);
  }
}

std::optional<LockHold> LockClient::tryAcquire(const std::string& name) {
  return acquire(name, std::chrono::milliseconds(0));
}

void LockClient::release(const std::string& name) {
  Message request;
  request.kind = Kind::Release;
  request.name = name;
  holds_.erase(name);
  send(request);
  const auto answer = reply(name);
  if (answer.kind == Kind::Released) return;
  throw LockError(answer.text.empty() ? "unexpected answer" : answer.text);
}

bool LockClient::held(const std::string& name) {
  while (readSome(std::chrono::milliseconds(0))) {
  }
  while (auto message = nextLine()) applyNotice(*message);
  expireLeases();
  return holds_.contains(name);
}

std::optional<LockHold> LockClient::hold(const std::string& name) const {
  auto it = holds_.find(name);
  if (it == holds_.end()) return std::nullopt;
  return it->second;
}

std::vector<std::string> LockClient::waitForChange(std::chrono::milliseconds timeout) {
  auto wait = timeout;
  if (!holds_.empty()) {
    std::uint64_t earliest = UINT64_MAX;
    for (const auto& [name, hold] : holds_) earliest = std::min(earliest, hold.leaseUntilMonoNs);
    const auto now = lockClockNowNs();
    const auto untilLease = std::chrono::milliseconds(
        earliest > now ? static_cast<std::int64_t>((earliest - now + 999999) / 1000000) : 0);
    wait = std::min(wait, untilLease);
  }
  if (readSome(wait)) {
    while (readSome(std::chrono::milliseconds(0))) {
    }
  }
  while (auto message = nextLine()) applyNotice(*message);
  expireLeases();
  std::vector<std::string> out;
  for (const auto& [name, reason] : ended_) out.push_back(name);
  lastEnded_ = std::move(ended_);
  ended_.clear();
  return out;
}

std::string LockClient::lostReason(const std::string& name) const {
  auto it = lastEnded_.find(name);
  return it == lastEnded_.end() ? "" : it->second;
}

}  // namespace sm::services

#pragma once
// The address of a Unix socket at a path of any length, for the lock socket's server (the daemon)
// and its clients (services/lock_client): sun_path holds 107 bytes, and a work dir can be deeper.

#include <sys/socket.h>
#include <sys/un.h>

#include <string>

namespace sm::services {

// A path longer than sun_path is reached through a descriptor of its directory
// (/proc/self/fd/N/<name>), which stays open while the address lives: bind or connect with it,
// then let it go.
class UnixSocketAddress {
 public:
  explicit UnixSocketAddress(const std::string& path);
  ~UnixSocketAddress();
  UnixSocketAddress(const UnixSocketAddress&) = delete;
  UnixSocketAddress& operator=(const UnixSocketAddress&) = delete;

  // False when the path is too long even through its directory.
  bool valid() const { return valid_; }
  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&address_); }
  socklen_t size() const { return sizeof(address_); }

 private:
  sockaddr_un address_{};
  int dirFd_ = -1;
  bool valid_ = false;
};

}  // namespace sm::services

#include "services/unix_socket_address.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstring>

namespace sm::services {

UnixSocketAddress::UnixSocketAddress(const std::string& path) {
  address_.sun_family = AF_UNIX;
  std::string target = path;
  if (target.size() >= sizeof(address_.sun_path)) {
    const auto slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
    dirFd_ = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dirFd_ >= 0) {
      target = "/proc/self/fd/" + std::to_string(dirFd_) + "/" + path.substr(slash + 1);
    }
  }
  if (target.size() >= sizeof(address_.sun_path)) return;
  std::memcpy(address_.sun_path, target.c_str(), target.size() + 1);
  valid_ = true;
}

UnixSocketAddress::~UnixSocketAddress() {
  if (dirFd_ >= 0) ::close(dirFd_);
}

}  // namespace sm::services

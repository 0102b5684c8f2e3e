#include "manager/ctl/armed_watches.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "manager/ctl/cli_error.hpp"

namespace sm::ctl {

FileDescriptor::FileDescriptor(int fd) : fd_(fd) {
  if (fd_ < 0) throw operationFailed(fmt::format("watch: {}", std::strerror(errno)));
}

FileDescriptor::~FileDescriptor() {
  ::close(fd_);
}

ArmedWatches::ArmedWatches() : wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

zk::Watcher ArmedWatches::arm(const std::string& path, zk::WatchKind kind) {
  {
    std::lock_guard lock(mutex_);
    if (!armed_.emplace(path, kind).second) return {};
  }
  return [this, path, kind](const zk::WatchEvent&) {
    {
      std::lock_guard lock(mutex_);
      armed_.erase({path, kind});
    }
    wake();
  };
}

void ArmedWatches::disarm(const std::string& path, zk::WatchKind kind) {
  std::lock_guard lock(mutex_);
  armed_.erase({path, kind});
}

void ArmedWatches::reset() {
  std::lock_guard lock(mutex_);
  armed_.clear();
}

void ArmedWatches::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_.get(), &one, sizeof one);
}

void ArmedWatches::drain() {
  std::uint64_t value = 0;
  [[maybe_unused]] auto n = ::read(wake_.get(), &value, sizeof value);
}

}  // namespace sm::ctl

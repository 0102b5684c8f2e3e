#include "manager/supervisor/output_capture.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

namespace sm::supervisor {

OutputCapture::OutputCapture(EventLoop& loop, std::string path, std::size_t maxBytes, int keepFiles)
    : loop_(loop), log_(std::move(path), maxBytes, keepFiles) {}

OutputCapture::~OutputCapture() {
  while (!pipes_.empty()) detach(pipes_.begin()->first);
}

int OutputCapture::openPipe() {
  int ends[2];
  if (pipe2(ends, O_CLOEXEC | O_NONBLOCK) != 0) {
    spdlog::error("log {}: pipe2 failed: {}", log_.path(), std::strerror(errno));
    return -1;
  }
  // The child's end must block: services do not expect EAGAIN on stdout.
  fcntl(ends[1], F_SETFL, 0);
  int readEnd = ends[0];
  pipes_[readEnd] = loop_.watchFd(readEnd, EPOLLIN, [this, readEnd](std::uint32_t) {
    if (!readFrom(readEnd)) detach(readEnd);
  });
  return ends[1];
}

bool OutputCapture::readFrom(int fd) {
  char buffer[65536];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n > 0) {
      log_.write(buffer, static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && errno == EAGAIN;
  }
}

void OutputCapture::drain() {
  std::vector<int> done;
  for (const auto& [fd, watch] : pipes_) {
    if (!readFrom(fd)) done.push_back(fd);
  }
  for (int fd : done) detach(fd);
}

void OutputCapture::detach(int fd) {
  auto it = pipes_.find(fd);
  if (it == pipes_.end()) return;
  loop_.unwatchFd(it->second);
  close(fd);
  pipes_.erase(it);
}

}  // namespace sm::supervisor

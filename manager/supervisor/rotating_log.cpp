#include "manager/supervisor/rotating_log.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

namespace sm::supervisor {

RotatingLog::RotatingLog(std::string path, std::size_t maxBytes, int keepFiles)
    : path_(std::move(path)),
      maxBytes_(std::max<std::size_t>(maxBytes, 1)),
      keepFiles_(std::max(keepFiles, 0)) {
  open();
}

RotatingLog::~RotatingLog() {
  if (fd_ >= 0) close(fd_);
}

void RotatingLog::open() {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    reportFailure("open");
    return;
  }
  struct stat st {};
  size_ = fstat(fd_, &st) == 0 ? static_cast<std::size_t>(st.st_size) : 0;
}

void RotatingLog::rotate() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  if (keepFiles_ == 0) {
    unlink(path_.c_str());
  } else {
    for (int i = keepFiles_ - 1; i >= 1; --i) {
      std::string from = path_ + "." + std::to_string(i);
      std::string to = path_ + "." + std::to_string(i + 1);
      std::rename(from.c_str(), to.c_str());  // a missing older file is fine
    }
    std::rename(path_.c_str(), (path_ + ".1").c_str());
  }
  size_ = 0;
  open();
}

void RotatingLog::write(const char* data, std::size_t size) {
  while (size > 0) {
    if (size_ >= maxBytes_) rotate();
    if (fd_ < 0) open();
    if (fd_ < 0) return;
    std::size_t chunk = std::min(size, maxBytes_ - size_);
    ssize_t n = ::write(fd_, data, chunk);
    if (n < 0) {
      if (errno == EINTR) continue;
      reportFailure("write");
      return;
    }
    failing_ = false;
    size_ += static_cast<std::size_t>(n);
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

void RotatingLog::reportFailure(const char* what) {
  if (failing_) return;
  failing_ = true;
  spdlog::error("log {}: {} failed: {}; output is dropped until it succeeds", path_, what,
                std::strerror(errno));
}

}  // namespace sm::supervisor

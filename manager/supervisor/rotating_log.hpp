#pragma once

#include <cstddef>
#include <string>

namespace sm::supervisor {

// An append-only log file that never grows past maxBytes: before a write would pass it, the file
// becomes <path>.1, older ones shift up to <path>.<keepFiles>, and the oldest is dropped.
// A write error (e.g. a full disk) drops the data and is logged once until writes succeed again.
class RotatingLog {
 public:
  RotatingLog(std::string path, std::size_t maxBytes, int keepFiles);
  ~RotatingLog();
  RotatingLog(const RotatingLog&) = delete;
  RotatingLog& operator=(const RotatingLog&) = delete;

  void write(const char* data, std::size_t size);
  const std::string& path() const { return path_; }

 private:
  void open();
  void rotate();
  void reportFailure(const char* what);

  std::string path_;
  std::size_t maxBytes_;
  int keepFiles_;
  int fd_ = -1;
  std::size_t size_ = 0;
  bool failing_ = false;
};

}  // namespace sm::supervisor

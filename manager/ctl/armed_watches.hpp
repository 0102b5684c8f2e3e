#pragma once
// The watches of a command that re-reads the tree on every change (`watch`, `wait`, `apply
// --wait`): one armed watch per node and kind, and an eventfd that a fired watch (from the
// session's dispatcher thread) writes to, so that the command sleeps in poll() until something
// changed.
#include <cstdint>
#include <mutex>
#include <set>
#include <string>
#include <utility>

#include "manager/zk/watch_arming.hpp"

namespace sm::ctl {

// Owns a file descriptor; throws CliError (exit 1) when it is invalid (errno names why).
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd);
  ~FileDescriptor();
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

class ArmedWatches : public zk::WatchArming {
 public:
  ArmedWatches();

  zk::Watcher arm(const std::string& path, zk::WatchKind kind) override;
  void disarm(const std::string& path, zk::WatchKind kind) override;
  // After a connection loss: reads that failed left no watch, so everything is armed again.
  void reset();

  void wake();
  void drain();
  int fd() const { return wake_.get(); }

 private:
  FileDescriptor wake_;
  std::mutex mutex_;
  std::set<std::pair<std::string, zk::WatchKind>> armed_;
};

}  // namespace sm::ctl

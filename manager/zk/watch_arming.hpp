#pragma once
// Lets a command that re-reads the tree on every change (servicesctl watch, wait) leave a one-shot
// watch on every node a read touches. It hands out a watcher only for a node that has none armed
// yet, so that re-reading after every wake does not pile up watches.
#include <string>

#include "manager/zk/types.hpp"

namespace sm::zk {

enum class WatchKind { Data, Children, Exists };

class WatchArming {
 public:
  virtual ~WatchArming() = default;
  // An empty watcher when one is armed already.
  virtual Watcher arm(const std::string& path, WatchKind kind) = 0;
  // The read did not leave the watch (the node was missing).
  virtual void disarm(const std::string& path, WatchKind kind) = 0;
};

}  // namespace sm::zk

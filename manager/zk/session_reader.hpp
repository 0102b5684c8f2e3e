#pragma once
#include <memory>

#include "manager/zk/node_reader.hpp"
#include "manager/zk/session.hpp"
#include "manager/zk/watch_arming.hpp"

namespace sm::zk {

// Reads straight from a session, as an observer does (servicesctl, tests, the chaos checker).
// With `watches`, every node read is left watched once; a missing node's creation is watched.
class SessionReader : public NodeReader {
 public:
  explicit SessionReader(Session& session, WatchArming* watches = nullptr)
      : session_(session), watches_(watches) {}

  std::optional<Node> get(const std::string& path) override;
  std::optional<std::vector<std::string>> children(const std::string& path) override;
  bool exists(const std::string& path) override;

 private:
  Watcher arm(const std::string& path, WatchKind kind);

  Session& session_;
  WatchArming* watches_;
};

}  // namespace sm::zk

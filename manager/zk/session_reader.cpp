#include "manager/zk/session_reader.hpp"

namespace sm::zk {

Watcher SessionReader::arm(const std::string& path, WatchKind kind) {
  return watches_ ? watches_->arm(path, kind) : Watcher{};
}

std::optional<Node> SessionReader::get(const std::string& path) {
  auto watcher = arm(path, WatchKind::Data);
  const bool armed = static_cast<bool>(watcher);
  auto node = session_.get(path, std::move(watcher));
  if (!node && armed) watches_->disarm(path, WatchKind::Data);
  return node;
}

std::optional<std::vector<std::string>> SessionReader::children(const std::string& path) {
  auto watcher = arm(path, WatchKind::Children);
  const bool armed = static_cast<bool>(watcher);
  auto names = session_.children(path, std::move(watcher));
  if (!names && armed) {
    watches_->disarm(path, WatchKind::Children);
    exists(path);  // watched for its creation, so that a watcher sees a directory appear
  }
  return names;
}

bool SessionReader::exists(const std::string& path) {
  return session_.exists(path, arm(path, WatchKind::Exists)).has_value();
}

}  // namespace sm::zk

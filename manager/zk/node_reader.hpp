#pragma once
// Read access to the tree as the tree model's reader needs it (model/tree_reader.hpp): the daemon
// reads through its watched cache (TreeCache), observers straight from a session (SessionReader).
#include <optional>
#include <string>
#include <vector>

#include "manager/zk/types.hpp"

namespace sm::zk {

class NodeReader {
 public:
  virtual ~NodeReader() = default;
  // nullopt: the node does not exist. ZooKeeper errors are thrown (ZkError).
  virtual std::optional<Node> get(const std::string& path) = 0;
  virtual std::optional<std::vector<std::string>> children(const std::string& path) = 0;
  virtual bool exists(const std::string& path) { return get(path).has_value(); }
};

}  // namespace sm::zk

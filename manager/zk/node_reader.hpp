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
  // Nodes and listings the caller is about to read: a reader that can ask for many at once does
  // so now, so that the reads that follow need no round trip each. Nothing is thrown: what could
  // not be fetched is asked again, and its error thrown, by the read that follows. Returns false
  // when this reader keeps nothing (every read asks the server): a caller that would read a level
  // only to prefetch the next does not, then.
  virtual bool prefetch(const std::vector<std::string>& /*nodes*/,
                        const std::vector<std::string>& /*listings*/) {
    return false;
  }
};

}  // namespace sm::zk

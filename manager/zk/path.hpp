#pragma once
#include <string>
#include <string_view>

namespace sm::zk {

// Joins a znode path and a child name (names come from the layout module or from ZooKeeper).
std::string childPath(std::string_view parent, std::string_view name);
// The last component of a znode path.
std::string_view nodeName(std::string_view path);
// Everything before the last component ("/" for a top-level node).
std::string parentPath(std::string_view path);

}  // namespace sm::zk

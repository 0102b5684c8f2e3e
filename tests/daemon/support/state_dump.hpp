#pragma once
// What a failing daemon test prints: the tree and every instance's role file.
#include <filesystem>
#include <functional>
#include <string>

#include "tests/daemon/support/tree_snapshot.hpp"

namespace sm::test {

using RoleFileOf =
    std::function<std::filesystem::path(const std::string& hostId, const std::string& uuid)>;

// `read` may throw (ZooKeeper down, say): the dump then says so instead of the tree.
std::string stateDump(const std::function<TreeSnapshot()>& read, const RoleFileOf& roleFile);

}  // namespace sm::test

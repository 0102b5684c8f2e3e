#pragma once
#include <optional>
#include <string>
#include <vector>

#include "manager/zk/op.hpp"
#include "manager/zk/session.hpp"

namespace sm::ctl {

struct TreeNode {
  std::string name;  // the full path for the top node, the child name below it
  std::string data;
  bool ephemeral = false;
  std::vector<TreeNode> children;  // sorted by name
};

// Reads a subtree (nodes that vanish while it reads are skipped); nullopt when the top is missing.
std::optional<TreeNode> readTree(zk::Session& session, const std::string& path);

struct TreeStyle {
  size_t maxDataChars = 160;  // longer data is cut, with a note of its size
};

// Deletes of `node` (at `path`) and everything below it, children before parents: one multi().
std::vector<zk::Op> removeSubtreeOps(const TreeNode& node, const std::string& path);

// Like bigdata's DumpZookeeper: one line a node, two spaces a level, ephemeral nodes marked, data
// (if any) after the name.
std::string renderTree(const TreeNode& top, const TreeStyle& style = {});

}  // namespace sm::ctl

#include "manager/ctl/tree.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "manager/ctl/table.hpp"
#include "manager/zk/path.hpp"
#include "manager/zk/sequential_name.hpp"

namespace sm::ctl {

namespace {

std::optional<TreeNode> readNode(zk::Session& session, const std::string& path, std::string name) {
  auto node = session.get(path);
  if (!node) return std::nullopt;
  TreeNode result{std::move(name), std::move(node->data), node->stat.ephemeralOwner != 0, {}};
  auto children = session.children(path);
  if (!children) return result;
  std::sort(children->begin(), children->end());
  for (const auto& child : *children) {
    if (auto sub = readNode(session, zk::childPath(path, child), child)) {
      result.children.push_back(std::move(*sub));
    }
  }
  return result;
}

// Data is shown on one line: control characters are escaped, long values cut with a note of their
// size.
std::string showData(const std::string& data, size_t maxChars) {
  auto shown = oneLine(data, maxChars);
  if (data.size() > maxChars && shown.ends_with("..."))
    shown += fmt::format(" ({} bytes)", data.size());
  return shown;
}

void render(const TreeNode& node, size_t depth, const TreeStyle& style, std::string& out) {
  out += std::string(depth * 2, ' ');
  out += node.name;
  if (node.ephemeral) out += " (ephemeral)";
  if (!node.data.empty()) {
    out += ' ';
    out += showData(node.data, style.maxDataChars);
  }
  out += "\n";
  for (const auto& child : node.children) render(child, depth + 1, style, out);
}

}  // namespace

std::optional<TreeNode> readTree(zk::Session& session, const std::string& path) {
  return readNode(session, path, path);
}

std::string renderTree(const TreeNode& top, const TreeStyle& style) {
  std::string out;
  render(top, 0, style, out);
  return out;
}

namespace {
void appendRemoveOps(const TreeNode& node, const std::string& path, std::vector<zk::Op>& ops) {
  // Siblings in removal order: an election removed lowest first would make its second candidate
  // master for a moment while the first still believed it was.
  std::vector<const TreeNode*> children;
  for (const auto& child : node.children) children.push_back(&child);
  std::stable_sort(children.begin(), children.end(), [](const TreeNode* a, const TreeNode* b) {
    return zk::removedBefore(a->name, b->name);
  });
  for (const auto* child : children) appendRemoveOps(*child, zk::childPath(path, child->name), ops);
  ops.push_back(zk::Op::remove(path));
}
}  // namespace

std::vector<zk::Op> removeSubtreeOps(const TreeNode& node, const std::string& path) {
  std::vector<zk::Op> ops;
  appendRemoveOps(node, path, ops);
  return ops;
}

}  // namespace sm::ctl

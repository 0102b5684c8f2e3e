#pragma once
#include <string>
#include <vector>

#include "config/layout.hpp"
#include "manager/ctl/tree.hpp"

namespace sm::ctl {

// What `servicesctl gc` reaps: persistent nodes that nothing will ever use again. Managers remove
// what they create while the tree is used; these are left when a type or logical service went
// while its locks were idle, or when a whole federation was abandoned.
struct GcItem {
  std::string path;
  std::string reason;
  // Still in use (live contenders, hosts): reported, never removed.
  bool kept = false;
};

// Within one federation (`root` is its tree, read whole): the config monitor lock directory of a
// deleted type, the create-lock of a logical service that no longer exists. A lock with waiting
// contenders is kept (they leave once they see their type gone). Pure.
std::vector<GcItem> planGc(const config::Layout& layout, const TreeNode& root);

// Under a parent znode (`parent` read whole, with `parentPath`): each child that is a federation
// root (its data is the root document) with no live host and no service type. Pure.
std::vector<GcItem> planFederationGc(const std::string& parentPath, const TreeNode& parent);

}  // namespace sm::ctl

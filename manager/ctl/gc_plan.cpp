#include "manager/ctl/gc_plan.hpp"

#include <fmt/format.h>

#include "config/root_data.hpp"
#include "manager/zk/path.hpp"

namespace sm::ctl {

namespace {

const TreeNode* findChild(const TreeNode& node, const std::string& name) {
  for (const auto& child : node.children) {
    if (child.name == name) return &child;
  }
  return nullptr;
}

// The node at `path` under `top` (whose own path is `topPath`), if the read saw it.
const TreeNode* find(const TreeNode& top, const std::string& topPath, const std::string& path) {
  if (path == topPath) return &top;
  if (path.size() <= topPath.size() || path.compare(0, topPath.size(), topPath) != 0 ||
      path[topPath.size()] != '/') {
    return nullptr;
  }
  const TreeNode* node = &top;
  std::size_t at = topPath.size() + 1;
  while (node && at <= path.size()) {
    const auto slash = path.find('/', at);
    const auto name = path.substr(at, slash == std::string::npos ? std::string::npos : slash - at);
    node = findChild(*node, name);
    if (slash == std::string::npos) break;
    at = slash + 1;
  }
  return node;
}

GcItem reapUnlessBusy(const std::string& path, const TreeNode& lock, const std::string& why) {
  if (lock.children.empty()) return {path, why, false};
  return {path,
          fmt::format("{}, but {} contender(s) still queue; they leave once they see it", why,
                      lock.children.size()),
          true};
}

}  // namespace

std::vector<GcItem> planGc(const config::Layout& layout, const TreeNode& root) {
  std::vector<GcItem> items;
  const auto& top = layout.root();
  const auto* config = find(root, top, layout.configDir());
  auto typeExists = [&](const std::string& type) {
    return config && findChild(*config, type) != nullptr;
  };
  auto logicalExists = [&](const config::LogicalServiceId& id) {
    const auto* type = config ? findChild(*config, id.type) : nullptr;
    return type && findChild(*type, config::Layout::logicalServiceName(id.sequence)) != nullptr;
  };

  if (const auto* monitors = find(root, top, layout.serviceConfigMonitorLocksDir())) {
    for (const auto& lock : monitors->children) {
      if (typeExists(lock.name)) continue;
      items.push_back(
          reapUnlessBusy(zk::childPath(layout.serviceConfigMonitorLocksDir(), lock.name), lock,
                         fmt::format("service type {} was deleted", lock.name)));
    }
  }
  if (const auto* creates = find(root, top, layout.createPhysicalServiceLocksDir())) {
    for (const auto& lock : creates->children) {
      const auto path = zk::childPath(layout.createPhysicalServiceLocksDir(), lock.name);
      const auto id = config::Layout::parseCreateLockName(lock.name);
      if (!id) {
        items.push_back({path, "not a create-lock name; left alone", true});
        continue;
      }
      if (logicalExists(*id)) continue;
      items.push_back(reapUnlessBusy(
          path, lock,
          typeExists(id->type) ? fmt::format("logical service {} no longer exists",
                                             config::Layout::logicalServiceName(id->sequence))
                               : fmt::format("service type {} was deleted", id->type)));
    }
  }
  return items;
}

std::vector<GcItem> planFederationGc(const std::string& parentPath, const TreeNode& parent) {
  std::vector<GcItem> items;
  for (const auto& child : parent.children) {
    const auto path = zk::childPath(parentPath, child.name);
    if (child.ephemeral || !config::decodeRootData(child.data, path)) continue;
    const config::Layout layout(path);
    const auto* hosts = find(child, path, layout.hostsDir());
    const auto* config = find(child, path, layout.configDir());
    const auto liveHosts = hosts ? hosts->children.size() : 0;
    const auto types = config ? config->children.size() : 0;
    if (liveHosts > 0 || types > 0) {
      items.push_back(
          {path,
           fmt::format("federation in use: {} live host(s), {} service type(s)", liveHosts, types),
           true});
      continue;
    }
    items.push_back({path, "federation gone: no live host and no service type", false});
  }
  return items;
}

}  // namespace sm::ctl

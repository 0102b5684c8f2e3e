#include "manager/daemon/reconcile/assignment_nodes.hpp"

#include <map>
#include <set>

namespace sm::daemon {

std::vector<AssignmentNodeWrite> planAssignmentNodes(const model::ClusterSnapshot& snapshot,
                                                     const std::string& typeName,
                                                     const AssignmentPlan& plan) {
  // Each host's node as it stands, then as the plan leaves it.
  std::map<std::string, config::AssignmentsData> next;
  std::set<std::string> changed;
  for (const auto& [key, node] : snapshot.assignmentNodes) {
    const auto& [host, type] = key;
    if (type != typeName) continue;
    next[host];
    if (!node.error.empty()) changed.insert(host);  // unreadable: written again
  }
  for (const auto& [id, named] : snapshot.assignments) {
    if (id.type != typeName) continue;
    for (const auto& [host, view] : named) next[host].named[id.sequence] = view.data;
  }
  for (const auto& c : plan.remove) {
    next[c.host].named.erase(c.logical.sequence);
    if (!c.settled) changed.insert(c.host);
  }
  for (const auto& c : plan.create) {
    next[c.host].named[c.logical.sequence] = c.data;
    changed.insert(c.host);
  }

  std::vector<AssignmentNodeWrite> writes;
  for (auto& [host, data] : next) {
    const auto* node = snapshot.assignmentsNodeOf(host, typeName);
    const bool exists = node != nullptr;
    if (data.named.empty()) {
      // Every name gone and one of them withdrawn: the node goes. A node whose names are all
      // spent stays as it is until the holder names that host again: then one write (a set)
      // instead of a removal now and a creation then, each waking the host.
      if (exists && changed.contains(host)) writes.push_back({host, typeName, std::nullopt, true});
    } else if (changed.contains(host)) {
      writes.push_back({host, typeName, std::move(data), exists});
    }
  }
  return writes;
}

}  // namespace sm::daemon

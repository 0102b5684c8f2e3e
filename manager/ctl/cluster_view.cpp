#include "manager/ctl/cluster_view.hpp"

#include <algorithm>

namespace sm::ctl {

std::string_view roleName(Role role) {
  switch (role) {
    case Role::Master:
      return "master";
    case Role::Secondary:
      return "secondary";
    case Role::Candidate:
      return "candidate";
    case Role::Unelected:
      break;
  }
  return "-";
}

const InstanceView* LogicalView::master() const {
  if (!instances.empty() && instances.front().role == Role::Master) return &instances.front();
  return nullptr;
}

std::optional<std::int64_t> LogicalView::epoch() const {
  if (const auto* m = master()) return m->electionSequence;
  return std::nullopt;
}

std::size_t TypeView::instanceCount() const {
  std::size_t n = 0;
  for (const auto& l : logical) n += l.instances.size();
  return n;
}

std::size_t TypeView::masterCount() const {
  return static_cast<std::size_t>(std::count_if(
      logical.begin(), logical.end(), [](const LogicalView& l) { return l.master() != nullptr; }));
}

const TypeView* ClusterView::findType(const std::string& name) const {
  for (const auto& t : types) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

}  // namespace sm::ctl

#include "manager/model/cluster_snapshot.hpp"

#include <algorithm>

namespace sm::model {

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

std::optional<std::string> LogicalServiceView::masterUuid() const {
  // An undecodable first member still holds the lock: nobody else is master, so no fallback.
  if (election.empty() || !election.front().data) return std::nullopt;
  return election.front().data->physical;
}

std::optional<std::size_t> LogicalServiceView::electionIndex(const std::string& uuid) const {
  for (std::size_t i = 0; i < election.size(); ++i) {
    if (election[i].data && election[i].data->physical == uuid) return i;
  }
  return std::nullopt;
}

Role LogicalServiceView::roleOf(const std::string& uuid) const {
  auto index = electionIndex(uuid);
  if (!index) return Role::Unelected;
  if (*index > 0) return Role::Secondary;
  return promotes && !election.front().data->master ? Role::Candidate : Role::Master;
}

std::optional<std::int64_t> LogicalServiceView::electionSequenceOf(const std::string& uuid) const {
  auto index = electionIndex(uuid);
  if (!index) return std::nullopt;
  return election[*index].sequence;
}

const PhysicalServiceView* LogicalServiceView::master() const {
  auto uuid = masterUuid();
  if (!uuid || roleOf(*uuid) != Role::Master) return nullptr;
  auto it = physical.find(*uuid);
  return it == physical.end() ? nullptr : &it->second;
}

std::optional<std::int64_t> LogicalServiceView::epoch() const {
  if (election.empty()) return std::nullopt;
  return election.front().sequence;
}

std::optional<std::int64_t> LogicalServiceView::masterEpoch() const {
  return master() != nullptr ? epoch() : std::nullopt;
}

std::vector<const PhysicalServiceView*> LogicalServiceView::inFailoverOrder() const {
  std::vector<const PhysicalServiceView*> ordered;
  for (const auto& [uuid, view] : physical) ordered.push_back(&view);
  const auto rank = [&](const PhysicalServiceView* view) {
    return electionIndex(view->uuid).value_or(election.size());
  };
  // physical is by uuid: a stable sort keeps the unelected by uuid.
  std::stable_sort(ordered.begin(), ordered.end(),
                   [&](const auto* a, const auto* b) { return rank(a) < rank(b); });
  return ordered;
}

const ServiceTypeView* ClusterSnapshot::type(const std::string& name) const {
  auto it = types.find(name);
  return it == types.end() ? nullptr : &it->second;
}

const LogicalServiceView* ClusterSnapshot::logical(const config::LogicalServiceId& id) const {
  const ServiceTypeView* view = type(id.type);
  if (view == nullptr) return nullptr;
  auto it = view->logical.find(id.sequence);
  return it == view->logical.end() ? nullptr : &it->second;
}

namespace {

std::int64_t countOnHost(const LogicalServiceView& logical, const std::string& host) {
  std::int64_t count = 0;
  for (const auto& [uuid, physical] : logical.physical) {
    if (physical.data && physical.data->host == host) ++count;
  }
  return count;
}

}  // namespace

std::int64_t ClusterSnapshot::instancesOnHost(const std::string& typeName,
                                              const std::string& host) const {
  const ServiceTypeView* view = type(typeName);
  if (view == nullptr) return 0;
  std::int64_t count = 0;
  for (const auto& [sequence, logicalView] : view->logical) count += countOnHost(logicalView, host);
  return count;
}

std::int64_t ClusterSnapshot::instancesOnHost(const config::LogicalServiceId& id,
                                              const std::string& host) const {
  const LogicalServiceView* view = logical(id);
  return view == nullptr ? 0 : countOnHost(*view, host);
}

const AssignmentView* ClusterSnapshot::assignmentOf(const config::LogicalServiceId& id,
                                                   const std::string& host) const {
  const auto named = assignments.find(id);
  if (named == assignments.end()) return nullptr;
  const auto it = named->second.find(host);
  return it == named->second.end() ? nullptr : &it->second;
}

bool ClusterSnapshot::spent(const AssignmentView& name) const {
  return instancesOnHost(name.logical, name.host) > name.data.replicas;
}

const AssignmentsNodeView* ClusterSnapshot::assignmentsNodeOf(const std::string& host,
                                                              const std::string& type) const {
  const auto it = assignmentNodes.find({host, type});
  return it == assignmentNodes.end() ? nullptr : &it->second;
}

bool ClusterSnapshot::hasMaster(const std::string& typeName) const {
  const ServiceTypeView* view = type(typeName);
  // A type whose spec cannot be read is not one dependents may rely on, even if it runs.
  if (view == nullptr || !view->stored || view->logical.empty()) return false;
  for (const auto& [sequence, logicalView] : view->logical) {
    if (!logicalView.masterUuid()) return false;
  }
  return true;
}

std::vector<const PersistentServiceView*> ClusterSnapshot::identitiesOf(
    const config::LogicalServiceId& id) const {
  std::vector<const PersistentServiceView*> result;
  const auto type = persistent.find(id.type);
  if (type == persistent.end()) return result;
  for (const auto& [uuid, view] : type->second) {
    if (view.data && view.data->logical == id.sequence) result.push_back(&view);
  }
  return result;
}

const CordonView* ClusterSnapshot::drainOf(const std::string& host) const {
  auto it = cordons.find(host);
  return it != cordons.end() && it->second.data && it->second.data->drain ? &it->second : nullptr;
}

const PauseView* ClusterSnapshot::pauseOf(const std::string& typeName) const {
  auto it = paused.find(typeName);
  return it == paused.end() ? nullptr : &it->second;
}

const CordonView* ClusterSnapshot::cordonOf(const std::string& host) const {
  auto it = cordons.find(host);
  return it == cordons.end() ? nullptr : &it->second;
}

const SwitchoverView* ClusterSnapshot::switchoverOf(const config::LogicalServiceId& id) const {
  auto it = switchovers.find(id);
  return it == switchovers.end() ? nullptr : &it->second;
}

std::size_t ClusterSnapshot::instanceCount(const std::string& typeName) const {
  const ServiceTypeView* view = type(typeName);
  std::size_t count = 0;
  if (view == nullptr) return count;
  for (const auto& [sequence, logicalView] : view->logical) count += logicalView.physical.size();
  return count;
}

std::size_t ClusterSnapshot::masterCount(const std::string& typeName) const {
  const ServiceTypeView* view = type(typeName);
  std::size_t count = 0;
  if (view == nullptr) return count;
  for (const auto& [sequence, logicalView] : view->logical) count += logicalView.master() ? 1 : 0;
  return count;
}

bool ClusterSnapshot::isDraining(const std::string& host) const {
  return drainOf(host) != nullptr;
}

}  // namespace sm::model

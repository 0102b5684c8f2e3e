#include "manager/daemon/model/cluster_snapshot.hpp"

namespace sm::daemon {

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

bool ClusterSnapshot::isDraining(const std::string& host) const {
  return drainOf(host) != nullptr;
}

}  // namespace sm::daemon

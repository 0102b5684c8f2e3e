#include "manager/daemon/placement/placement.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <utility>

#include "manager/daemon/placement/allow_hosts_constraint.hpp"
#include "manager/daemon/placement/cooldown_constraint.hpp"
#include "manager/daemon/placement/cordon_constraint.hpp"
#include "manager/daemon/placement/deny_hosts_constraint.hpp"
#include "manager/daemon/placement/depends_on_constraint.hpp"
#include "manager/daemon/placement/host_data_constraint.hpp"
#include "manager/daemon/placement/host_labels_constraint.hpp"
#include "manager/daemon/placement/max_load_average_constraint.hpp"
#include "manager/daemon/placement/max_per_host_constraint.hpp"
#include "manager/daemon/placement/min_free_memory_constraint.hpp"

namespace sm::daemon::placement {

std::vector<std::unique_ptr<Constraint>> constraintChain(const config::ServiceSpec& spec) {
  const config::Constraints& c = spec.constraints;
  std::vector<std::unique_ptr<Constraint>> chain;
  chain.push_back(std::make_unique<HostDataConstraint>());
  // Cooldowns live in host data and cordons in the tree, not in the spec: always checked.
  chain.push_back(std::make_unique<CordonConstraint>());
  chain.push_back(std::make_unique<CooldownConstraint>());
  if (!c.allowHosts.empty()) chain.push_back(std::make_unique<AllowHostsConstraint>(c.allowHosts));
  if (!c.denyHosts.empty()) chain.push_back(std::make_unique<DenyHostsConstraint>(c.denyHosts));
  if (!c.hostLabels.empty()) chain.push_back(std::make_unique<HostLabelsConstraint>(c.hostLabels));
  if (c.maxPerHost) chain.push_back(std::make_unique<MaxPerHostConstraint>(*c.maxPerHost));
  if (c.minFreeMemoryMB > 0) {
    chain.push_back(std::make_unique<MinFreeMemoryConstraint>(c.minFreeMemoryMB));
  }
  if (c.maxLoadAverage) {
    chain.push_back(std::make_unique<MaxLoadAverageConstraint>(*c.maxLoadAverage));
  }
  if (!c.dependsOn.empty()) chain.push_back(std::make_unique<DependsOnConstraint>(c.dependsOn));
  return chain;
}

namespace {

std::optional<Infeasible> firstFailure(const std::vector<std::unique_ptr<Constraint>>& chain,
                                       const PlacementRequest& request, const model::HostView& host) {
  for (const auto& constraint : chain) {
    if (auto reason = constraint->check(request, host)) {
      return Infeasible{std::string(constraint->name()), std::move(*reason)};
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<Infeasible> checkHost(const PlacementRequest& request, const model::HostView& host) {
  return firstFailure(constraintChain(request.type.type.spec), request, host);
}

std::optional<Infeasible> checkHostLocally(const PlacementRequest& request,
                                           const model::HostView& host) {
  auto chain = constraintChain(request.type.type.spec);
  std::erase_if(chain, [](const auto& constraint) { return constraint->clusterWide(); });
  return firstFailure(chain, request, host);
}

std::vector<config::HostReason> infeasibleHosts(const PlacementRequest& request) {
  const auto chain = constraintChain(request.type.type.spec);
  std::vector<config::HostReason> result;
  // snapshot.hosts is a map by id, so the result is already sorted.
  for (const auto& [id, host] : request.snapshot.hosts) {
    if (auto failure = firstFailure(chain, request, host)) {
      result.push_back(config::HostReason{id, std::move(failure->reason)});
    }
  }
  return result;
}

double Score::value() const {
  // Packed into disjoint decimal ranges below 2^53, so the number orders like the tuple while each
  // count stays within its range; clamping keeps a huge count from spilling into the next range.
  auto clamp = [](double v, double hi) { return std::clamp(v, 0.0, hi); };
  const double loadPart = std::isnan(load) ? 9999.0 : clamp(load, 9999.0);
  return clamp(static_cast<double>(logicalInstances), 999.0) * 1e12 +
         clamp(static_cast<double>(typeInstances), 9999.0) * 1e8 +
         clamp(static_cast<double>(running), 9999.0) * 1e4 + loadPart;
}

std::uint64_t stableHash(std::initializer_list<std::string_view> parts) {
  std::uint64_t h = 14695981039346656037ull;
  for (const auto text : parts) {
    for (unsigned char c : text) h = (h ^ c) * 1099511628211ull;
    h = (h ^ 0xff) * 1099511628211ull;  // a separator, so ("ab","c") differs from ("a","bc")
  }
  return h;
}

Score score(const PlacementRequest& request, const model::HostView& host) {
  Score s;
  s.logicalInstances = request.snapshot.instancesOnHost(request.logical, host.id);
  if (request.typeInstances) {
    const auto counted = request.typeInstances->find(host.id);
    s.typeInstances = counted == request.typeInstances->end() ? 0 : counted->second;
  } else {
    s.typeInstances = request.snapshot.instancesOnHost(request.type.type.name, host.id);
  }
  if (host.data && !std::isnan(host.data->load)) {
    s.running = host.data->running;
    s.load = std::floor(host.data->load /
                        static_cast<double>(std::max<std::int64_t>(1, host.data->capacity.cpus)));
  } else {
    // Unknown is ranked last; NaN would also break the strict weak order sorting relies on.
    s.running = std::numeric_limits<std::int64_t>::max();
    s.load = std::numeric_limits<double>::infinity();
  }
  s.tiebreak = stableHash(
      {request.logical.type, std::to_string(request.logical.sequence), host.id});
  s.host = host.id;
  return s;
}

std::vector<std::string> rankFeasibleHosts(const PlacementRequest& request) {
  const auto chain = constraintChain(request.type.type.spec);
  std::vector<Score> feasible;
  for (const auto& [id, host] : request.snapshot.hosts) {
    if (!firstFailure(chain, request, host)) feasible.push_back(score(request, host));
  }
  std::sort(feasible.begin(), feasible.end());
  std::vector<std::string> ranked;
  ranked.reserve(feasible.size());
  for (Score& s : feasible) ranked.push_back(std::move(s.host));
  return ranked;
}

}  // namespace sm::daemon::placement

#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "config/layout.hpp"
#include "config/service_type_codec.hpp"
#include "manager/model/cluster_snapshot.hpp"

namespace sm::daemon::placement {

// One replica to place: everything a constraint or the ranking may look at, so that both stay pure.
struct PlacementRequest {
  const config::StoredServiceType& type;  // the type being placed
  config::LogicalServiceId logical;       // which logical service needs a replica
  const model::ClusterSnapshot& snapshot;        // observed state
  std::int64_t nowMs = 0;                 // wall clock, ms since epoch (for host cooldowns)
  // Instances of the type per host, when the caller counted them (a planner that ranks hosts for
  // many logical services, with its own assignments counted in); else counted from the snapshot.
  const std::map<std::string, std::int64_t>* typeInstances = nullptr;
};

// One feasibility check. Small and separate so that each rule is tested alone and the reason an
// operator reads in `status` names exactly the rule and value that excluded the host.
class Constraint {
 public:
  virtual ~Constraint() = default;
  virtual std::string_view name() const = 0;  // the spec field it enforces, e.g. "denyHosts"
  // nullopt when `host` passes; else a one-line reason naming the offending value.
  virtual std::optional<std::string> check(const PlacementRequest& request,
                                           const model::HostView& host) const = 0;
  // Looks beyond the host itself (other types' masters): only the holder of the type's config
  // monitor, which reads the whole type and what it depends on, can check it.
  virtual bool clusterWide() const { return false; }
};

}  // namespace sm::daemon::placement

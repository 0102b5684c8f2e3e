#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "config/layout.hpp"
#include "config/physical_service_data.hpp"
#include "config/service_type.hpp"
#include "manager/model/cluster_snapshot.hpp"
#include "manager/daemon/reconcile/instance_lifecycle.hpp"

namespace sm::daemon {

// What a manager knows of an instance it runs, beyond the tree.
struct LocalInstanceView {
  config::PhysicalServiceId id;
  config::ServiceSpec spec;  // the spec its process was started from
  bool registered = false;   // its znodes exist as far as this manager knows
  bool ready = false;        // passed its health check (or has none)
  // Survivor: running, but unregistered since its manager's session expired; kept only while its
  // logical service still needs it, until the placer registers it again.
  Phase phase = Phase::Running;
  std::int64_t pid = 0;  // 0 while no process runs (restarting)
  std::int64_t restartedAt = 0;  // the type's rollout-restart stamp when its process started
};

struct InstanceAction {
  enum class Kind {
    Stop,     // withdraw it (a master hands over first), then stop its process
    Update,   // rewrite its physicalService data to `data` (state, pid, generation)
    Rewrite,  // its data cannot be read (someone else wrote it): write what this manager knows
  };
  Kind kind = Kind::Stop;
  std::string uuid;
  std::string reason;                // for the log line (Stop)
  config::PhysicalServiceData data;  // Update
};

// Whether the instance's process runs what `type` asks for now: the same process template and no
// rollout restart asked for since it started.
bool runsCurrentTemplate(const LocalInstanceView& instance, const config::StoredServiceType& type);

// For the instances this host runs: which to stop (gone from the tree, surplus, outdated, a
// survivor no longer needed) and
// which to update (ready, or a spec change that keeps the same process). Pure; every manager runs
// it for its own instances, and all agree because they share the rules of logical_services.hpp.
std::vector<InstanceAction> planInstances(const model::ClusterSnapshot& snapshot,
                                          const std::vector<LocalInstanceView>& instances);

}  // namespace sm::daemon

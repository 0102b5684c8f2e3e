#pragma once

#include <string>

#include "config/layout.hpp"
#include "config/service_type.hpp"
#include "manager/daemon/options.hpp"
#include "manager/supervisor/process_spec.hpp"

namespace sm::daemon {

// Where an instance's logs and role file live: <work-dir>/instances/<uuid>.{stdout.log,role.json}.
std::string instancesDir(const DaemonOptions& options);

// A persistent instance's own data: <data-dir>/<type>/<uuid>, made at its first start and never
// removed by the daemon.
std::string persistentDataDir(const DaemonOptions& options, const config::PhysicalServiceId& id);

// The supervisor's view of one instance of a service type. The supervisor restarts it in place as
// restart.policy says (same instance id, ports and files); the daemon takes it out of the election
// at the exit, and gives the replica up to placement only when the supervisor gives up.
supervisor::ProcessSpec processSpecFor(const config::ServiceSpec& spec,
                                       const config::PhysicalServiceId& id,
                                       const config::Layout& layout, const DaemonOptions& options);

}  // namespace sm::daemon

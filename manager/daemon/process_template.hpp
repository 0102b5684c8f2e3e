#pragma once

#include <string>

#include "config/layout.hpp"
#include "config/service_type.hpp"
#include "manager/daemon/options.hpp"
#include "manager/supervisor/process_spec.hpp"

namespace sm::daemon {

// Where an instance's logs and role file live: <work-dir>/instances/<uuid>.{stdout.log,role.json}.
std::string instancesDir(const DaemonOptions& options);

// The supervisor's view of one instance of a service type. The supervisor never restarts it: an
// exit ends the instance, its znodes go at once (the next in line becomes master) and placement
// decides where the replacement runs, with this host's backoff (FailureTracker).
supervisor::ProcessSpec processSpecFor(const config::ServiceSpec& spec,
                                       const config::PhysicalServiceId& id,
                                       const config::Layout& layout, const DaemonOptions& options);

}  // namespace sm::daemon

#pragma once
#include <cstdint>
#include <string>

#include "manager/model/cluster_snapshot.hpp"

namespace sm::ctl {

// `describe TYPE`: the spec, each logical service with its instances (role, epoch, host, pid,
// state, generation, uptime), why replicas are missing (the status node), and the recent events
// that name the type (`"type": "<name>"` in their JSON), and a persistent type's identities: all as
// `snapshot` holds them (the type's latest events, its identities, pause and switchovers). Pure,
// for golden tests.
std::string renderDescribe(const model::ClusterSnapshot& snapshot,
                           const model::ServiceTypeView& type, std::int64_t nowMs);

}  // namespace sm::ctl

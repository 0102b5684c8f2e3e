#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "manager/ctl/cluster_view.hpp"

namespace sm::ctl {

// `describe TYPE`: the spec, each logical service with its instances (role, epoch, host, pid,
// state, generation, uptime), why replicas are missing (the status node), and the recent events
// that name the type (`"type": "<name>"` in their JSON), and a persistent type's identities. Pure,
// for golden tests.
std::string renderDescribe(const TypeView& type, const std::vector<EventView>& events,
                           std::int64_t nowMs, const std::vector<IdentityView>& identities = {});

}  // namespace sm::ctl

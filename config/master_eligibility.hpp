#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "config/service_type.hpp"

namespace sm::config {

// Whether an instance on `hostId` (with `labels`) may stand in its logical service's election
// (constraints.masterHosts / masterLabels). Instances on other hosts run as secondaries only.
bool masterEligible(const Constraints& constraints, std::string_view hostId,
                    const std::map<std::string, std::string>& labels);

// Why a host is not eligible ("masterHosts [h1, h2] do not match h3"), nullopt when it is.
std::optional<std::string> masterIneligibility(const Constraints& constraints,
                                               std::string_view hostId,
                                               const std::map<std::string, std::string>& labels);

// Whether the constraints limit the master to some hosts at all.
bool restrictsMaster(const Constraints& constraints);

}  // namespace sm::config

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "manager/model/cluster_snapshot.hpp"

namespace sm::daemon {

// Facts about one logical service that every decision shares, so that the config monitor and the
// managers of its instances agree on them from the same snapshot.

// A type wants its `serviceCount` lowest-numbered logical services; the others are surplus
// (scale-down removes the highest-numbered first). Without the type's listing
// (ServiceTypeView::listed), only ServiceTypeView::wantedWhateverListed can say.
bool isWanted(const model::ServiceTypeView& type, std::int64_t sequence);

// Registered physical services (uuids) in failover order: election members first, in election
// order, then those without an election member.
std::vector<std::string> failoverOrder(const model::LogicalServiceView& logical);

// A physical service started from an older spec than the stored one.
bool isOutdated(const model::PhysicalServiceView& physical, std::int64_t storedGeneration);

// The one instance a rolling replace stops next, or nullopt while it must wait: only a full,
// all-running logical service gives one up; secondaries go first (the last in the failover chain),
// the master last and only once a secondary of the new generation is running (or when it is the
// only replica there is).
std::optional<std::string> nextToReplace(const model::LogicalServiceView& logical,
                                         const config::StoredServiceType& type);

}  // namespace sm::daemon

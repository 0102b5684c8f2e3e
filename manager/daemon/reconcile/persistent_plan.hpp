#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/layout.hpp"
#include "config/persistent_service_data.hpp"
#include "manager/model/cluster_snapshot.hpp"

namespace sm::daemon {

// Decisions about the identities of persistent types (services/<type>/<uuid>): which hold a
// replica's place, which this host starts again, and which the type's config monitor marks lost,
// abandons or removes. Pure, like every decision of the loop.

// A persistent type readable in the snapshot, or nullptr.
const model::ServiceTypeView* persistentType(const model::ClusterSnapshot& snapshot, const std::string& type);

// The identities of a logical service that hold a replica's place (every state but abandoned and
// purging, data readable), oldest first (created, then uuid). The first replicationCount keep their place;
// the rest are surplus (replicationCount was lowered).
std::vector<const model::PersistentServiceView*> liveIdentities(const model::ClusterSnapshot& snapshot,
                                                         const config::LogicalServiceId& id);

// Replicas that count toward replicationCount: the physical services registered now (`registered`,
// uuids) and, for a persistent type, its live identities that are not registered at the moment
// (between two runs of a process, a manager restarting, a host within its grace). New instances
// are placed only while this is short.
std::int64_t occupiedReplicas(const model::ClusterSnapshot& snapshot, const config::LogicalServiceId& id,
                              const std::set<std::string>& registered);
// Same, with the registrations of the snapshot.
std::int64_t occupiedReplicas(const model::ClusterSnapshot& snapshot, const model::LogicalServiceView& logical);

// An identity this host starts again: its data is here, its logical service wants it, and it
// runs nowhere (no registration, no local process). None while the type is paused or the host
// drains.
struct Resume {
  config::PhysicalServiceId id;
  model::PersistentServiceView identity;
};
std::vector<Resume> planResumes(const model::ClusterSnapshot& snapshot, const std::string& hostId,
                                const std::set<std::string>& localUuids);

// The identities this host is asked to purge (servicesctl forget --purge-data) that run nowhere
// here: their data directory goes, then their record. Also of a type that is gone.
std::vector<model::PersistentServiceView> planPurges(const model::ClusterSnapshot& snapshot,
                                             const std::string& hostId,
                                             const std::set<std::string>& localUuids);

// A change the holder of the type's config monitor lock makes to one identity, fenced on the
// version it was read at.
struct IdentityChange {
  enum class Kind { Set, Remove };
  Kind kind = Kind::Set;
  std::string uuid;
  std::int32_t version = 0;
  config::PersistentServiceData data;  // Set
  std::string reason;                  // for the log
};
// Host gone (no hosts/<id>): running -> lost; lost, or stopped (with its manager, on purpose),
// longer than hostLossGraceSeconds -> abandoned (the replica's place is free, and a new identity
// is placed elsewhere); surplus identities not running -> removed (their data stays on their
// host).
std::vector<IdentityChange> planIdentities(const model::ClusterSnapshot& snapshot,
                                           const std::string& type, std::int64_t nowMs);

// When the next grace of an identity whose host is away ends after `nowMs` (the loop wakes then).
std::optional<std::int64_t> nextGraceEnd(const model::ClusterSnapshot& snapshot, std::int64_t nowMs);

}  // namespace sm::daemon

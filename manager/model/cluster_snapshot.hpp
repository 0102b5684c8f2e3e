#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/assignment_data.hpp"
#include "config/cordon_data.hpp"
#include "config/election_data.hpp"
#include "config/event_data.hpp"
#include "config/host_data.hpp"
#include "config/layout.hpp"
#include "config/logical_service_data.hpp"
#include "config/pause_data.hpp"
#include "config/persistent_service_data.hpp"
#include "config/physical_service_data.hpp"
#include "config/resource_lock_data.hpp"
#include "config/service_type_codec.hpp"
#include "config/status_data.hpp"
#include "config/switchover_data.hpp"

namespace sm::model {

// The one model of the tree: what one read showed (model/tree_reader.hpp reads it). The daemon
// computes every decision from it; servicesctl renders it; the tests and the chaos checker judge
// it. Plain data, so that the functions that take it are pure and unit-tested without ZooKeeper.
// Nodes whose data could not be decoded are kept with their error, so that they are reported and
// skipped rather than mistaken for absent. What only observers need (ReadScope::observer) is
// marked so: the daemon does not read it.

// Candidate: first in the chain of a spec.promotion type, not told master yet (asking for scores,
// or held by maxLag).
enum class Role { Master, Secondary, Unelected, Candidate };
std::string_view roleName(Role role);  // "master" | "secondary" | "candidate" | "-"

struct ElectionMember {
  std::string name;                          // lock-<uuid>-<seq>
  std::int64_t sequence = 0;                 // the epoch of this member while it is first
  std::optional<config::ElectionData> data;  // nullopt: undecodable
  // Observers read the member's node: its data as written (else it is derived from the name and
  // the registration) and the session that owns it.
  std::string error;
  std::int64_t ephemeralOwner = 0;
};

struct PhysicalServiceView {
  std::string uuid;
  std::optional<config::PhysicalServiceData> data;  // nullopt: undecodable
  std::string error;                                // why data is nullopt
  std::int64_t ephemeralOwner = 0;                  // session id of the manager that runs it
  std::int32_t version = 0;
};

struct LogicalServiceView {
  config::LogicalServiceId id;
  std::optional<config::LogicalServiceData> data;  // observers only
  std::string error;
  // Its type has spec.promotion: the first member is master only once it published so.
  bool promotes = false;
  std::map<std::string, PhysicalServiceView> physical;  // by uuid
  std::vector<ElectionMember> election;                 // failover order: the first is master
  std::optional<config::StatusData> status;
  std::string statusError;
  std::int32_t statusVersion = -1;  // -1: no status node

  // The uuid of the physical service the first election member stands for, if any.
  std::optional<std::string> masterUuid() const;
  // Position of a physical service in the failover chain (0 = master); nullopt when it has no
  // election member.
  std::optional<std::size_t> electionIndex(const std::string& uuid) const;
  Role roleOf(const std::string& uuid) const;
  // The sequence of the physical service's election member (the master's is the epoch).
  std::optional<std::int64_t> electionSequenceOf(const std::string& uuid) const;
  const PhysicalServiceView* master() const;  // the registered instance that is master
  std::optional<std::int64_t> epoch() const;  // the first member's sequence
  // The epoch of the registered master (master()); nullopt when none. Observers show an epoch only
  // beside the instance that holds it: a first member whose instance is not registered (yet, or
  // any more) has no master to show.
  std::optional<std::int64_t> masterEpoch() const;
  // The registered instances as an operator reads them: the master, then the failover chain, then
  // those without an election member (by uuid).
  std::vector<const PhysicalServiceView*> inFailoverOrder() const;
};

struct ServiceTypeView {
  std::string name;
  std::optional<config::StoredServiceType> stored;  // nullopt: undecodable (see error)
  std::string error;
  std::map<std::int64_t, LogicalServiceView> logical;  // by sequence
  // Every logical service's sequence, ascending, as listed: also those a daemon's focus did not
  // read (model::Focus), which still decide which are wanted (the lowest serviceCount).
  std::vector<std::int64_t> sequences;
  // Whether `sequences` was read. A focus leaves the listing out when each of its logical services
  // of the type is wanted whatever the listing says (a sequence below serviceCount): the listing
  // changes with every logical service made, and would wake every manager of the type's instances.
  bool listed = false;

  // Sequences are distinct and start at 0, so at most `sequence` logical services rank before one:
  // below serviceCount, it is wanted whatever the listing says.
  bool wantedWhateverListed(std::int64_t sequence) const {
    return stored && sequence < stored->type.spec.serviceCount;
  }
};

struct HostView {
  std::string id;
  // nullopt: undecodable, or not read (a daemon's focus reads only its own host's: model::Focus)
  std::optional<config::HostData> data;
  std::string error;
  std::int64_t ephemeralOwner = 0;
};

// services/<type>/<uuid>: one identity of a persistent type. It outlives its type: a type deleted
// without --purge and applied again finds its identities.
struct PersistentServiceView {
  std::string type;
  std::string uuid;
  std::optional<config::PersistentServiceData> data;  // nullopt: undecodable (see error)
  std::string error;
  std::int32_t version = 0;  // registrations and state changes are fenced on it
};

// cordons/<hostId>: the host takes no new placements. Its data may be unreadable: the mark counts
// all the same.
struct CordonView {
  std::optional<config::CordonData> data;
  std::string error;
};

// paused/<type>: the managers change nothing of the type. Unreadable data still pauses it.
struct PauseView {
  std::optional<config::PauseData> data;
  std::string error;
};

// switchovers/<type>_logicalService<seq>: a planned handover in progress.
struct SwitchoverView {
  std::optional<config::SwitchoverData> data;  // nullopt: undecodable (ignored)
  std::string error;
  std::int32_t version = 0;
};

// A createPhysicalService lock node (its contenders are not read: see tree_reader.hpp).
struct CreateLockView {
  config::LogicalServiceId logical;
};

// One entry of assignments/<host>/<type>: `host` is a candidate for one replica of `logical`
// (flat placement; config/assignment_data.hpp).
struct AssignmentView {
  std::string host;
  config::LogicalServiceId logical;
  config::AssignmentData data;
};

// The node assignments/<host>/<type> itself. One that cannot be decoded names nobody (the host
// ignores it) until the monitor holder writes it again.
struct AssignmentsNodeView {
  std::string host;
  std::string type;
  std::int32_t version = 0;
  std::string error;  // not empty: undecodable
};

// locks/resources/<name>/lock-<uuid>-<seq>: a place in a resource lock's queue, held by a daemon
// for one of its managed processes (observers only; docs/locks.md).
struct ResourceLockContender {
  std::string node;
  std::int64_t sequence = 0;  // the holder's is its fencing token
  std::optional<config::ResourceLockData> data;
  std::string error;
};

// locks/resources/<name>.
struct ResourceLockView {
  std::string name;
  std::vector<ResourceLockContender> contenders;  // by sequence: the first holds, the rest wait

  const ResourceLockContender* holder() const {
    return contenders.empty() ? nullptr : &contenders[0];
  }
  std::size_t waiters() const { return contenders.empty() ? 0 : contenders.size() - 1; }
};

// One event of events/event-<seq> as read and decoded; observers only.
struct EventView {
  std::int64_t sequence = 0;              // of its node
  std::size_t index = 0;                  // in its node: events a daemon wrote together share one
  std::optional<config::EventData> data;  // empty when the node cannot be decoded ...
  std::string error;                      // ... and why
};

struct ClusterSnapshot {
  bool rootExists = true;                        // false: nothing under the root was read
  std::map<std::string, ServiceTypeView> types;  // by type name
  std::map<std::string, HostView> hosts;         // by host id
  std::map<config::LogicalServiceId, CreateLockView> createLocks;
  // By logical service, then host: the candidates named for its missing replicas.
  std::map<config::LogicalServiceId, std::map<std::string, AssignmentView>> assignments;
  // The nodes they were read from, by host and type.
  std::map<std::pair<std::string, std::string>, AssignmentsNodeView> assignmentNodes;
  // By type name, then uuid.
  std::map<std::string, std::map<std::string, PersistentServiceView>> persistent;
  std::map<std::string, CordonView> cordons;  // by host id
  std::map<std::string, PauseView> paused;    // by type name
  std::map<config::LogicalServiceId, SwitchoverView> switchovers;
  std::vector<EventView> events;  // oldest first: what ReadScope::events asks for
  // The highest sequence listed under events/ above EventQuery::after, whoever's event it is (the
  // next read's `after`); EventQuery::after when there is none.
  std::int64_t newestEvent = -1;
  std::vector<ResourceLockView> resourceLocks;  // by name (ReadScope::resourceLocks)

  const ServiceTypeView* type(const std::string& name) const;
  const LogicalServiceView* logical(const config::LogicalServiceId& id) const;
  // Registered physical services of `type` whose data says they run on `host`.
  std::int64_t instancesOnHost(const std::string& type, const std::string& host) const;
  // Same, for one logical service.
  std::int64_t instancesOnHost(const config::LogicalServiceId& id, const std::string& host) const;
  // Every logical service of the type has a master (and the type has at least one).
  bool hasMaster(const std::string& type) const;
  bool isPaused(const std::string& type) const { return paused.contains(type); }
  const PauseView* pauseOf(const std::string& type) const;
  const CordonView* cordonOf(const std::string& host) const;
  const SwitchoverView* switchoverOf(const config::LogicalServiceId& id) const;
  // Registered instances of the type, and its logical services with a master.
  std::size_t instanceCount(const std::string& type) const;
  std::size_t masterCount(const std::string& type) const;
  // The host's cordon says drain: its instances move elsewhere.
  bool isDraining(const std::string& host) const;
  // The cordon of a draining host, if `host` is one.
  const CordonView* drainOf(const std::string& host) const;
  // Whether `host` is named a candidate for `id`.
  const AssignmentView* assignmentOf(const config::LogicalServiceId& id,
                                     const std::string& host) const;
  // Whether the host of `name` has placed the replica it was named for: it has more replicas of
  // the logical service than when it was named. A spent name no longer counts.
  bool spent(const AssignmentView& name) const;
  // The node `host`'s assignments of `type` were read from, if it exists.
  const AssignmentsNodeView* assignmentsNodeOf(const std::string& host,
                                               const std::string& type) const;
  // The identities of a persistent type's logical service (any state), by uuid.
  std::vector<const PersistentServiceView*> identitiesOf(const config::LogicalServiceId& id) const;
};

}  // namespace sm::model

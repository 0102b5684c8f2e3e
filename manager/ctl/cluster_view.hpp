#pragma once
// Plain structs of what the tree says about a federation, read by cluster_reader and rendered by
// the pure views (get, describe, watch). Data another client wrote that cannot be decoded is kept
// as a `problem` beside the node, so that one bad znode never hides the others.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/cordon_data.hpp"
#include "config/host_data.hpp"
#include "config/election_data.hpp"
#include "config/layout.hpp"
#include "config/logical_service_data.hpp"
#include "config/pause_data.hpp"
#include "config/persistent_service_data.hpp"
#include "config/physical_service_data.hpp"
#include "config/service_type_codec.hpp"
#include "config/status_data.hpp"
#include "config/switchover_data.hpp"

namespace sm::ctl {

// Candidate: first in the chain of a spec.promotion type, not told master yet (asking for scores,
// or held by maxLag).
enum class Role { Master, Secondary, Unelected, Candidate };
std::string_view roleName(Role role);  // "master" | "secondary" | "-"

struct InstanceView {  // .../physicalServices/physicalService<uuid>
  std::string uuid;
  std::optional<config::PhysicalServiceData> data;
  std::string problem;
  Role role = Role::Unelected;
  std::optional<std::int64_t> electionSequence;  // the master's is the logical service's epoch
};

struct ElectionEntry {  // .../election/lock-<uuid>-<seq>, in failover order
  std::string name;
  std::int64_t sequence = 0;
  std::optional<config::ElectionData> data;
  std::string problem;
};

struct LogicalView {  // config/<type>/logicalService<seq>
  config::LogicalServiceId id;
  std::optional<config::LogicalServiceData> data;
  std::string problem;
  std::vector<InstanceView> instances;  // master first, then the failover chain, then the unelected
  std::vector<ElectionEntry> election;
  std::optional<config::StatusData> status;
  std::string statusProblem;
  // switchovers/<type>_logicalService<seq>: a planned handover in progress (readable data only).
  std::optional<config::SwitchoverData> switchover;

  const InstanceView* master() const;
  std::optional<std::int64_t> epoch() const;  // the master's election sequence
};

struct TypeView {  // config/<type>
  std::string name;
  std::optional<config::StoredServiceType> stored;
  std::string problem;  // every diagnostic of the decoder, one per line, when stored is empty
  std::vector<LogicalView> logical;  // by sequence
  // paused/<type> exists: the managers change nothing of it (its data: when and why, if readable).
  bool paused = false;
  std::optional<config::PauseData> pause;

  std::size_t instanceCount() const;
  std::size_t masterCount() const;
};

struct HostView {  // hosts/<hostId>
  std::string id;
  std::optional<config::HostData> data;
  std::string problem;
  // cordons/<hostId> exists: no new placements (its data: when and why, if readable).
  bool cordoned = false;
  std::optional<config::CordonData> cordon;
};

struct IdentityView {  // services/<type>/<uuid>: a persistent instance's identity
  std::string type;
  std::string uuid;
  std::optional<config::PersistentServiceData> data;
  std::string problem;
};

struct EventView {  // events/event-<seq> as read (config/event_data.hpp decodes it)
  std::int64_t sequence = 0;
  std::string data;
};

struct ClusterView {
  bool rootExists = false;
  std::vector<TypeView> types;    // by name
  std::vector<HostView> hosts;    // by id
  std::vector<EventView> events;  // oldest first, the most recent `maxEvents`
  // Persistent identities (ReadOptions::identities), by type then uuid; they outlive their type.
  std::vector<IdentityView> identities;

  const TypeView* findType(const std::string& name) const;
};

}  // namespace sm::ctl

#pragma once
// What `servicesctl apply` (and `scale`) will write, computed from the desired types and what the
// tree holds now. Pure: no ZooKeeper, so the diff and the decisions are unit-tested on their own.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/layout.hpp"
#include "config/service_type_codec.hpp"
#include "manager/zk/op.hpp"

namespace sm::ctl {

// What config/<name> holds when apply reads it.
struct CurrentType {
  int version = -1;                                 // the znode's version, for the compare-and-set
  std::optional<config::StoredServiceType> stored;  // decoded, or ...
  std::string problem;  // ... why the data could not be decoded ("garbage")
  std::optional<std::int64_t> garbageGeneration;  // a "generation" still readable in the garbage
};

enum class PlanAction {
  Create,     // config/<name> is missing
  Update,     // the spec differs: set with the read version, generation + 1
  Unchanged,  // identical: only a version check, so that a concurrent change still fails the apply
  Replace,    // config/<name> holds garbage and --force was given: set with the read version
  Refuse,     // garbage without --force, or a change that would lose data (`refusal` says which):
              // nothing of the file is written
};

struct FieldChange {
  std::string path;    // "spec.replicationCount", "spec.env.KEY"
  std::string before;  // compact JSON, "" when the field was absent
  std::string after;   // compact JSON, "" when the field is removed
};

struct PlanEntry {
  config::ServiceType desired;
  PlanAction action = PlanAction::Create;
  std::int64_t generation = 1;                     // to store (or stored, when Unchanged)
  std::optional<std::int64_t> previousGeneration;  // stored now, when readable
  std::int64_t restartedAt = 0;  // kept from the stored type (a rollout restart sets it)
  // The generation its process template dates from (config::StoredServiceType); 0: `generation`.
  std::int64_t templateGeneration = 0;
  int version = -1;
  std::vector<FieldChange> changes;  // Update only
  std::string problem;               // Replace and Refuse: what the garbage is
  std::string refusal;               // Refuse of a readable type: why, and what to do instead
};

struct ApplyPlan {
  std::vector<std::string> missingKeyZnodes;  // root ancestors and key znodes, parents first
  std::string rootData;                       // data for the root when it is created
  std::vector<PlanEntry> entries;             // in file order

  bool refused() const;
  bool writes() const;  // anything to create or set
};

// Every leaf that differs between two JSON documents, in document order; arrays compare whole.
std::vector<FieldChange> diffDocuments(const nlohmann::ordered_json& before,
                                       const nlohmann::ordered_json& after,
                                       const std::string& prefix);

// The generation a --force replacement stores: one more than any generation the garbage still
// shows.
PlanEntry planEntry(const config::ServiceType& desired, const std::optional<CurrentType>& current,
                    bool force);

// The operations of the one multi(): creates of missing key znodes, then per entry a create, a set
// with the read version, or a check of the read version. `labels[i]` says what op i stands for.
struct PlanOps {
  std::vector<zk::Op> ops;
  std::vector<const PlanEntry*> entryOf;  // per op; null for key znodes
};
PlanOps planOps(const ApplyPlan& plan, const config::Layout& layout);

// For --dry-run (dryRun) and after a commit: one line per type, and the changed fields under it.
std::string renderPlan(const ApplyPlan& plan, bool dryRun);

}  // namespace sm::ctl

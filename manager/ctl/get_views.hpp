#pragma once
// The renderers of `servicesctl get`: pure functions of a ClusterSnapshot (and the time, for ages),
// so that tables are golden-tested without ZooKeeper.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "manager/ctl/output_format.hpp"
#include "manager/model/cluster_snapshot.hpp"

namespace sm::ctl {

// Instances: the identities of persistent types (services/<type>/<uuid>).
// Locks: locks/resources/ (rendered by lock_views.hpp from its own reader).
enum class GetKind { Types, Logical, Physical, Hosts, Instances, Locks };
inline const char* const kGetKinds[] = {"types",     "logical", "physical",
                                        "hosts",     "instances", "locks"};
GetKind parseGetKind(const std::string& name);

// The documents of -o json|yaml: a list of objects, one per row of the table.
nlohmann::ordered_json getDocument(const model::ClusterSnapshot& snapshot, GetKind kind);
// The table, followed by one line per node whose data could not be read.
std::string renderGetTable(const model::ClusterSnapshot& snapshot, GetKind kind,
                           std::int64_t nowMs);

std::string renderGet(const model::ClusterSnapshot& snapshot, GetKind kind, OutputFormat format,
                      std::int64_t nowMs);

// "host/pid" of an instance, "?" when its data could not be read.
std::string instanceLabel(const model::PhysicalServiceView& instance);

// The persistent identities of the snapshot, by type then uuid: the rows of `get instances`.
std::vector<const model::PersistentServiceView*> identityRows(
    const model::ClusterSnapshot& snapshot);

// The table of `get instances`: persistent identities, with problems under it.
std::string identitiesTable(const std::vector<const model::PersistentServiceView*>& identities,
                            std::int64_t nowMs);

}  // namespace sm::ctl

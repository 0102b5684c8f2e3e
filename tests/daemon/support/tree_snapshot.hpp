#pragma once
// What the tree says about service types, flattened for a test's assertions: per type, per logical
// service, the registered physical instances, the election order and the status. It is read by the
// one reader into the one model (manager/model) and flattened from it: no reading of its own.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/host_data.hpp"
#include "config/layout.hpp"
#include "config/status_data.hpp"
#include "manager/model/cluster_snapshot.hpp"
#include "manager/zk/session.hpp"

namespace sm::test {

struct InstanceInfo {
  std::string uuid;
  bool decoded = false;  // false: the data did not decode (error says why)
  std::string error;
  std::string host;
  std::int64_t pid = 0;
  std::string state;  // starting | running | stopping | restarting
  std::int64_t generation = 0;
  std::map<std::string, std::int64_t> ports;
};

struct ElectionEntry {
  std::string name;  // lock-<uuid>-<seq>
  std::int64_t sequence = 0;
  std::string physical;  // uuid of the instance it stands for ("" if undecodable)
  std::string host;
};

struct LogicalInfo {
  config::LogicalServiceId id;
  std::map<std::string, InstanceInfo> instances;  // by uuid
  std::vector<ElectionEntry> election;            // failover order: the first is master
  std::optional<config::StatusData> status;
  std::string statusError;

  // "<type>/logicalService<seq>"
  std::string key() const;
  const ElectionEntry* masterEntry() const;
  // The registered instance the first election member stands for.
  const InstanceInfo* master() const;
  std::vector<std::string> hostsOfInstances() const;  // one entry per instance, sorted
};

struct TypeInfo {
  std::string name;
  bool decoded = false;
  std::int64_t generation = 0;
  std::int64_t serviceCount = 0;
  std::int64_t replicationCount = 0;
  std::map<std::int64_t, LogicalInfo> logical;  // by sequence
};

struct TreeSnapshot {
  std::map<std::string, TypeInfo> types;
  std::map<std::string, std::optional<config::HostData>> hosts;  // live hosts by id

  const TypeInfo* type(const std::string& name) const;
  std::size_t instanceCount() const;
  // Every instance of every type: (logical key, instance).
  std::vector<std::pair<std::string, InstanceInfo>> allInstances() const;
  // Human-readable dump for failure messages.
  std::string str() const;
};

// Reads config/ and hosts/ as an observer (model::ReadScope::observer) and flattens the model.
TreeSnapshot readTree(zk::Session& session, const config::Layout& layout);
TreeSnapshot flatten(const model::ClusterSnapshot& tree);

}  // namespace sm::test

#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <unordered_map>
#include <optional>
#include <set>
#include <string>

#include "config/host_data.hpp"
#include "config/layout.hpp"
#include "manager/model/cluster_snapshot.hpp"
#include "manager/zk/node_reader.hpp"

namespace sm::model {

// Which events/ a read covers (observers only).
struct EventQuery {
  std::optional<std::string> type;  // only this service type's (undecodable ones cannot be told)
  std::int64_t after = -1;          // only events with a higher sequence
  std::size_t limit = 0;            // the newest `limit` that match; 0: all
};

// What one daemon reads (flat placement, docs/scaling.md): only what it may act on, so that a
// placement wakes a bounded number of daemons whatever the size of the cluster.
struct Focus {
  std::string host;  // its own: its host node and its inbox (assignments/<host>)
  // Types whose config monitor it holds: all of their logical services, every host, the
  // create-locks and every inbox's assignments of these types. The types these depend on
  // (dependsOn) are read whole too, since placement checks them.
  std::set<std::string> wholeTypes;
  // Of the other types, only these logical services (its instances); the ones its inbox and its
  // persistent identities name are added. Hosts: every id, but only its own node's data.
  std::set<config::LogicalServiceId> logical;
  // What its host node says, as it last wrote it: taken instead of reading the node, which would
  // be read again after each of its own writes (the running count moves with every placement).
  // Unset (not registered yet): the node is read.
  // (The initializer keeps positional initializations free of -Wmissing-field-initializers.)
  std::optional<config::HostData> ownHost = {};
};

// What a read covers. The daemon reads the defaults through its cache; observers (servicesctl,
// the tests, the chaos checker) read from a session and ask for more.
struct ReadScope {
  bool types = true;                // config/ and the types' marks (paused/, switchovers/)
  std::optional<std::string> type;  // only this service type (its marks and identities too)
  bool hosts = true;                // hosts/ and cordons/
  bool identities = true;           // services/<type>/*
  bool createLocks = true;          // locks/createPhysicalService/* (not their contenders)
  // Also what only an observer shows: each election member's own node (its data and the session
  // that owns it) and each logical service's data. The daemon derives members from their names
  // (Layout::electionMemberPrefix): reading them would wake every manager on every enqueue.
  bool observer = false;
  std::optional<EventQuery> events;  // none read without one
  bool resourceLocks = false;        // locks/resources/ with every contender (observers only)
  std::optional<std::string> resourceLock;  // only this lock
  bool assignments = true;                  // every host's inbox (unfocused reads)
  std::optional<Focus> focus;               // the daemon's: see Focus

  // Nothing of the cluster's state: for a reader of one part alone (events/, locks/resources/),
  // which then asks for it.
  static ReadScope none() {
    ReadScope scope;
    scope.types = scope.hosts = scope.identities = scope.createLocks = scope.assignments = false;
    return scope;
  }
};

using ReadProblem = std::function<void(const std::string& path, const std::string& error)>;

// Documents decoded by earlier reads, kept by the daemon between its passes: a node whose data did
// not change since (the same mzxid) is not parsed again, which is most of a large tree on most
// passes. A read keeps what it used; endPass() forgets the rest. Not thread-safe: one reader.
class DecodeMemo {
 public:
  struct Slot {
    std::int64_t mzxid = 0;
    std::shared_ptr<const void> value;  // the decoded document, or null ...
    std::string error;                  // ... and why
    std::uint64_t pass = 0;
  };
  void beginPass() { ++pass_; }
  void endPass() {
    std::erase_if(slots_, [&](const auto& item) { return item.second.pass != pass_; });
  }
  // The slot of `path` if it holds the decoding of data last modified at `mzxid`.
  Slot* find(const std::string& path, std::int64_t mzxid) {
    auto it = slots_.find(path);
    if (it == slots_.end() || it->second.mzxid != mzxid) return nullptr;
    it->second.pass = pass_;
    return &it->second;
  }
  void keep(const std::string& path, Slot slot) {
    slot.pass = pass_;
    slots_.insert_or_assign(path, std::move(slot));
  }
  std::size_t size() const { return slots_.size(); }

 private:
  std::unordered_map<std::string, Slot> slots_;
  std::uint64_t pass_ = 0;
};

// Reads the tree into the model. Nodes that vanish while it reads are left out; data that cannot
// be decoded is kept with its error and passed to `report` (the daemon logs it once per znode and
// message), never thrown. ZooKeeper errors are thrown. Lock contenders are not read: placement does
// not depend on who queues, and watching them would wake every manager on every enqueue.
ClusterSnapshot readSnapshot(zk::NodeReader& tree, const config::Layout& layout,
                             const ReadScope& scope = {}, const ReadProblem& report = {},
                             DecodeMemo* memo = nullptr);

}  // namespace sm::model

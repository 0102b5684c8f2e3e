#pragma once
// The part of the tree the chaos checker judges, with the owner session of every ephemeral node:
// per type, per logical service, the registered instances and the election members. Flattened
// from the one model of the tree (manager/model), read by its one reader.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/layout.hpp"
#include "manager/zk/session.hpp"

namespace sm::test::chaos {

struct RegisteredInstance {
  std::string uuid;
  std::string path;
  std::int64_t owner = 0;  // ephemeralOwner
  bool decoded = false;
  std::string host;
  std::int64_t pid = 0;
  std::string state;
};

struct ElectionMember {
  std::string path;
  std::int64_t sequence = 0;
  std::int64_t owner = 0;
  bool decoded = false;
  std::string physical;
  std::string host;
};

struct LogicalView {
  std::string key;                                      // "<type>/logicalService<seq>"
  std::map<std::string, RegisteredInstance> instances;  // by uuid
  std::vector<ElectionMember> election;                 // failover order
};

struct TypeView {
  bool decoded = false;
  std::map<std::int64_t, LogicalView> logical;
};

struct TreeView {
  std::map<std::string, TypeView> types;
  std::map<std::string, std::int64_t> hostOwners;  // live hosts/<id> and their sessions
};

// Nodes that vanish while it reads are left out; throws zk::ZkError when the session fails.
TreeView readTreeView(zk::Session& session, const config::Layout& layout);

}  // namespace sm::test::chaos

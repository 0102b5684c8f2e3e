#pragma once
#include <optional>
#include <string>

#include "manager/zk/types.hpp"

namespace sm::zk {

// One operation of a multi(): all of them are applied, or none.
struct Op {
  enum class Kind { Create, Remove, Set, Check };
  Kind kind = Kind::Check;
  std::string path;
  std::string data;
  CreateMode mode = CreateMode::Persistent;
  int version = -1;
  std::optional<AclList> acl;  // for Create; the session's default when empty

  static Op create(std::string path, std::string data, CreateMode mode = CreateMode::Persistent,
                   std::optional<AclList> acl = std::nullopt);
  static Op remove(std::string path, int version = -1);
  static Op set(std::string path, std::string data, int version = -1);
  static Op check(std::string path, int version);
};

struct OpResult {
  std::string createdPath;  // Create: the name ZooKeeper gave (with the sequence, if any)
  Stat stat;                // Set: the node's new stat
};

}  // namespace sm::zk

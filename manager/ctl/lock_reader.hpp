#pragma once
// Reads locks/resources/: the cluster-wide locks the daemons hold for their managed processes
// (docs/locks.md), for `servicesctl get locks` and `describe`.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/layout.hpp"
#include "config/resource_lock_data.hpp"
#include "manager/zk/session.hpp"

namespace sm::ctl {

struct LockContender {  // locks/resources/<name>/lock-<uuid>-<seq>
  std::string node;
  std::int64_t sequence = 0;  // the holder's is its fencing token
  std::optional<config::ResourceLockData> data;
  std::string problem;
};

struct LockView {  // locks/resources/<name>
  std::string name;
  std::vector<LockContender> contenders;  // by sequence: the first holds, the rest wait

  const LockContender* holder() const { return contenders.empty() ? nullptr : &contenders[0]; }
  std::size_t waiters() const { return contenders.empty() ? 0 : contenders.size() - 1; }
};

// Every lock (by name), or only `only`; nodes that vanish while it reads are skipped, data that
// cannot be decoded is kept as the contender's problem. Throws zk::ZkError when ZooKeeper fails.
std::vector<LockView> readLocks(zk::Session& session, const config::Layout& layout,
                                const std::optional<std::string>& only = std::nullopt);

}  // namespace sm::ctl

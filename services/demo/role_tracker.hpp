#pragma once

#include <cstdint>
#include <string>

#include "services/role.hpp"

namespace sm::services::demo {

// What the demo service believes about its role, and how it last learned of a change. Every change
// of the effective role or epoch is logged as one line on stdout:
//   role change: unknown -> master epoch=3 via=signal
class RoleTracker {
 public:
  explicit RoleTracker(std::string roleFile);

  // Re-reads the role file; `via` says why (signal, hook, poll, start).
  void refresh(const std::string& via);
  // Catches a lease running out between reads.
  void checkLease();
  // The nanoseconds until the current master lease ends, or 0 when none is running.
  std::uint64_t leaseRemainingNs() const;
  std::string describeJson() const;
  // The master's "http" endpoint from the role file ("address:port"), empty when unknown.
  std::string masterHttpEndpoint() const;

 private:
  void noteIfChanged(const std::string& via);

  std::string roleFile_;
  RoleInfo file_;
  bool fileRead_ = false;
  std::string readError_;
  Role believed_ = Role::Unknown;
  std::int64_t believedEpoch_ = 0;
  int changes_ = 0;
  std::string lastChangeVia_ = "none";
};

}  // namespace sm::services::demo

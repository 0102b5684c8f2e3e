#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/host_data.hpp"
#include "config/service_type.hpp"

namespace sm::daemon {

// Unplanned exits of each service type's instances on this host. An exit frees the replica for any
// host; this host waits a backoff (growing with consecutive exits) before it takes that type again,
// and after `crashLoop.failures` exits within the window it stays away for the window and says so
// in its hosts/ node (a cooldown), so that the others place the replica and `status` shows why.
class FailureTracker {
 public:
  struct Verdict {
    std::int64_t retryAtMs = 0;  // do not take this type before
    bool crashLoop = false;
    std::string message;  // for the log and the cooldown
  };

  Verdict recordExit(const std::string& type, const config::Restart& restart, std::int64_t nowMs,
                     const std::string& what);
  // The supervisor gave up restarting an instance in place (crash loop): the type cools down on
  // this host at once, whatever the host's own count says.
  Verdict recordCrashLoop(const std::string& type, const config::Restart& restart,
                          std::int64_t nowMs, const std::string& what);
  // An instance that ran long enough (steady) resets the backoff.
  void recordSteady(const std::string& type);
  // This host may start the type now.
  bool mayStart(const std::string& type, std::int64_t nowMs) const;
  // Cooldowns still in force, for hosts/<hostId>; sorted by type.
  std::vector<config::HostCooldown> cooldowns(std::int64_t nowMs) const;
  // The earliest future moment a backoff or cooldown ends (to wake the loop then).
  std::optional<std::int64_t> nextExpiry(std::int64_t nowMs) const;

 private:
  struct PerType {
    std::deque<std::int64_t> exits;  // within the crash-loop window
    int consecutive = 0;
    std::int64_t retryAtMs = 0;
    std::optional<config::HostCooldown> cooldown;
  };
  Verdict coolDown(PerType& t, const std::string& type, const config::Restart& restart,
                   std::int64_t nowMs, std::string message, std::int64_t backoff);
  std::map<std::string, PerType> types_;
};

}  // namespace sm::daemon

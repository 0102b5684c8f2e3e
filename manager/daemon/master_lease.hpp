#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>

#include "manager/daemon/context.hpp"

namespace sm::daemon {

// I1: a process's mastership is a lease its manager holds for it. The lease runs from the *send*
// time of the manager's last successful round trip to ZooKeeper, for three quarters of the session
// timeout. The server cannot expire the session (and elect a successor) sooner than one session
// timeout after it last heard from the manager, which is after that send time; so the lease lapses
// on this host's monotonic clock at least a quarter of the timeout before any successor can exist,
// even if the manager is frozen and never writes again (the deadline is in the role file, and the
// services/ library checks it). Timing argument and figures: docs/daemon.md.
class MasterLease {
 public:
  explicit MasterLease(DaemonContext& context);

  // Lease length for a session timeout: 3/4 of it.
  static std::chrono::nanoseconds length(std::chrono::milliseconds sessionTimeout);

  // A deadline (CLOCK_MONOTONIC, ns) with at least a quarter of the timeout left, making a round
  // trip if the last one's is closer; 0 when ZooKeeper does not answer. Any past round trip's
  // deadline is safe to use: it bounds the session's life, whoever asks.
  std::uint64_t current();
  // Makes a round trip now; returns the new deadline, or the old one (possibly past) on failure.
  std::uint64_t renew();
  std::uint64_t deadline() const;
  std::chrono::milliseconds sessionTimeout() const;

 private:
  DaemonContext& context_;
  mutable std::mutex mutex_;
  std::uint64_t lastSendNs_ = 0;
  std::uint64_t deadlineNs_ = 0;
};

}  // namespace sm::daemon

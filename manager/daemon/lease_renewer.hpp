#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>

#include "manager/daemon/loop_inbox.hpp"
#include "manager/daemon/master_lease.hpp"

namespace sm::daemon {

// Renews the master lease every quarter of the session timeout while this host runs registered
// instances (not only masters: a secondary that becomes master then finds a lease ready, and its
// failover costs no extra round trip), and posts each outcome to the loop, which rewrites the role
// files. Its own thread, so that a renewal is never late behind a long pass.
class LeaseRenewer {
 public:
  LeaseRenewer(MasterLease& lease, LoopInbox& inbox);
  // Hands each outcome (the deadline, possibly past) to `sink`, on the renewer's thread: for a part
  // with a thread of its own (the lock server, lock_server.hpp). `period` replaces the quarter of
  // the session timeout (a test's).
  LeaseRenewer(MasterLease& lease, std::function<void(std::uint64_t deadlineNs)> sink,
               std::chrono::milliseconds period = std::chrono::milliseconds(0));
  ~LeaseRenewer();
  LeaseRenewer(const LeaseRenewer&) = delete;
  LeaseRenewer& operator=(const LeaseRenewer&) = delete;

  // Whether renewals are wanted (set by the loop). Turned on, it renews at once: no renewal ran
  // while it was off, and the first holder or master must find a lease ready (a stale one costs a
  // round trip on the handover's critical time).
  void setActive(bool active);
  // Renews at once (the connection is back).
  void renewNow();
  // Ends the thread; no renewal follows.
  void stop();

 private:
  void run();

  MasterLease& lease_;
  std::function<void(std::uint64_t)> sink_;
  const std::chrono::milliseconds period_;  // 0: a quarter of the session timeout
  std::atomic<bool> active_{false};
  std::mutex mutex_;  // guards the two flags below, the thread's wake-up reasons
  std::condition_variable changed_;
  bool now_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sm::daemon

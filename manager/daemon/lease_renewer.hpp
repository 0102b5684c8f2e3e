#pragma once

#include <atomic>
#include <condition_variable>
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
  ~LeaseRenewer();
  LeaseRenewer(const LeaseRenewer&) = delete;
  LeaseRenewer& operator=(const LeaseRenewer&) = delete;

  // Whether renewals are wanted (set by the loop).
  void setActive(bool active) { active_ = active; }
  // Renews at once (the connection is back).
  void renewNow();
  // Ends the thread; no renewal follows.
  void stop();

 private:
  void run();

  MasterLease& lease_;
  LoopInbox& inbox_;
  std::atomic<bool> active_{false};
  std::mutex mutex_;  // guards the two flags below, the thread's wake-up reasons
  std::condition_variable changed_;
  bool now_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sm::daemon

#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "services/lock_wire.hpp"

// The C++ face of sm_lock.h: cluster-wide locks a managed process asks its own daemon for, over
// the Unix socket named by $SM_DAEMON_SOCKET. The daemon holds the lock in ZooKeeper on the
// process's behalf and releases it the moment the process exits or closes the connection
// (docs/locks.md). No ZooKeeper client and no dependency beyond the standard library.
//
// One connection per object, used from one thread. A held lock is a lease, as a master's role is:
// act on it only while held() says so (the lease is renewed by the daemon and checked here on
// CLOCK_MONOTONIC, so a daemon that froze cannot leave a holder that believes it still holds).
namespace sm::services {

class LockError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct LockHold {
  std::string name;
  std::int64_t token = 0;  // the fencing token: strictly increases per lock name
  std::uint64_t leaseUntilMonoNs = 0;
};

class LockClient {
 public:
  // `socketPath` empty: $SM_DAEMON_SOCKET. Throws LockError when it cannot connect.
  explicit LockClient(const std::string& socketPath = "");
  ~LockClient();
  LockClient(const LockClient&) = delete;
  LockClient& operator=(const LockClient&) = delete;

  // Waits at most `timeout` (negative: for ever) for the lock: the hold, or nullopt when it was not
  // held in time. Throws LockError with the daemon's reason (a bad name, too many locks, a refused
  // connection, the daemon lost its ZooKeeper connection meanwhile).
  std::optional<LockHold> acquire(const std::string& name, std::chrono::milliseconds timeout);
  // Takes the lock only if it is free now.
  std::optional<LockHold> tryAcquire(const std::string& name);
  // Throws LockError when the lock is not held (nor waited for) by this connection.
  void release(const std::string& name);

  // Applies what the daemon sent meanwhile (renewals, losses) without waiting; true while `name`
  // is held and its lease has not passed.
  bool held(const std::string& name);
  // The hold as last known (its lease may have passed; see held()).
  std::optional<LockHold> hold(const std::string& name) const;
  // Waits at most `timeout` for news from the daemon, or until the earliest lease of a held lock
  // passes; returns the names whose hold ended (lost, lease passed, connection closed) since the
  // last call.
  std::vector<std::string> waitForChange(std::chrono::milliseconds timeout);
  // Why a lock in the last waitForChange() result ended.
  std::string lostReason(const std::string& name) const;
  // The socket, to poll() beside other descriptors: readable means call waitForChange(0).
  int fd() const { return fd_; }

 private:
  void send(const lockwire::Message& message);
  // Reads lines until one answers a request about `name` (notices are applied on the way).
  lockwire::Message reply(const std::string& name);
  // Reads what is there; with `wait`, waits at most that long for the first byte.
  bool readSome(std::optional<std::chrono::milliseconds> wait);
  std::optional<lockwire::Message> nextLine();
  // Lease and loss notices; false when `message` is something else (a reply).
  bool applyNotice(const lockwire::Message& message);
  void endHold(const std::string& name, const std::string& reason);
  void expireLeases();

  int fd_ = -1;
  bool closed_ = false;
  std::string buffer_;
  std::map<std::string, LockHold> holds_;
  std::map<std::string, std::string> ended_;      // name -> reason, since the last waitForChange()
  std::map<std::string, std::string> lastEnded_;  // what the last waitForChange() returned
};

// CLOCK_MONOTONIC in ns (the clock of the leases; the same on every process of the host).
std::uint64_t lockClockNowNs();

}  // namespace sm::services

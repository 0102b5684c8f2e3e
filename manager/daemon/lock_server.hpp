#pragma once

#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "manager/daemon/context.hpp"
#include "manager/daemon/lease_renewer.hpp"
#include "manager/daemon/master_lease.hpp"
#include "manager/zk/queue_member.hpp"
#include "services/lock_wire.hpp"

namespace sm::daemon {

// The socket a managed process asks its daemon for cluster-wide locks on ($SM_DAEMON_SOCKET).
std::string lockSocketPath(const DaemonOptions& options);

// Cluster-wide locks held by this daemon for its managed processes (docs/locks.md): each request
// queues an ephemeral-sequential node of this daemon's session under locks/resources/<name>
// (zk::QueueMember: the fenced lock recipe, each waiter watching only its predecessor); the lowest
// holds, and its sequence is the holder's fencing token.
//
// Files: lock_server.cpp (the socket, the thread, connections and who may ask), lock_grants.cpp
// (queue places in ZooKeeper, held/lost, leases, timeouts), lock_server_state.hpp (their state).
//
// Threads: the lock server owns a separate piece of the daemon's state (its connections, the
// locks they hold or wait for, the managed processes it may serve) on a thread of its own; the
// reconcile loop's state is not touched from there, and this state is not touched from the loop.
// Every other thread talks to it through post(): the loop (process started or exited), the
// session's dispatcher and client thread (a lock held, a place lost, the connection), the lease
// renewer. The lock thread alone writes to the sockets. It releases a lock itself the moment it
// sees its holder end (the connection's EOF, the peer process's pidfd, or the loop's word that the
// managed process exited), without waiting for a reconcile pass.
class LockServer {
 public:
  struct Options {
    std::string socketPath;
    // Held or waited for at once by one process (the peer pid), across its connections.
    std::size_t maxLocksPerProcess = 64;
    // A peer that descends from this daemon but from no managed process it knows yet (the
    // process's start may not have reached this thread): how long it may wait to be known.
    std::chrono::milliseconds unknownPeerGrace{2000};
  };

  LockServer(DaemonContext& context, Options options);
  ~LockServer();
  LockServer(const LockServer&) = delete;
  LockServer& operator=(const LockServer&) = delete;

  // Binds the socket (its directory made 0700: the daemon's user and root only) and starts the
  // thread. Throws std::runtime_error when the socket cannot be made.
  void start();
  const std::string& socketPath() const { return options_.socketPath; }

  // From any thread. A managed process started: it (and its descendants) may ask for locks.
  void instanceStarted(const std::string& uuid, pid_t pid, const std::string& type,
                       std::int64_t logical);
  // The managed process exited: every lock held for it (or its descendants) is released now and
  // their connections are closed. When it holds or waits for any, returns once they are released
  // (at most 200 ms): the loop calls it before anything else it does for the exit.
  void instanceExited(const std::string& uuid);
  // A newly connected session: new requests use it; its connection changes reach this thread.
  void install(const std::shared_ptr<zk::Session>& session);

 private:
  struct Owner {
    std::string uuid;
    std::string type;
    std::int64_t logical = 0;
    pid_t pid = 0;
  };
  struct Connection;
  struct Entry;
  struct EarlyGrant;

  void post(std::function<void()> task);
  void run();
  void runTasks();
  void accept();
  void identify(Connection& connection);
  void refuse(int fd, const std::string& why);
  void readFrom(int fd);
  void handleLine(Connection& connection, std::string_view line);
  void acquire(Connection& connection, const services::lockwire::Message& request);
  void release(Connection& connection, const std::string& name);
  void closeConnection(int fd, const std::string& why);
  // Ends an entry: its node is deleted before anything else.
  void drop(std::uint64_t id);
  void send(Connection& connection, const services::lockwire::Message& message);
  void sendTo(int fd, services::lockwire::Kind kind, const std::string& name,
              const std::string& text = "");

  // On the session's client thread, the moment a watch makes a waiter first: tells the process
  // "held" when the lease allows it without a round trip (false: the lock thread will).
  bool tellHeldEarly(EarlyGrant& grant);
  // Posted by the queue member's callbacks.
  void onHeld(std::uint64_t id);
  void onPosition(std::uint64_t id, bool first);
  void onLost(std::uint64_t id, const std::string& reason);
  // Posted by the session's listener and the renewer.
  void onConnection(const std::weak_ptr<zk::Session>& session, zk::SessionState state);
  void onLease(std::uint64_t deadlineNs);
  // Every entry ends with `lost`: the connection or the session is gone, the lease lapsed.
  void loseAll(const std::string& reason);
  void expireTimeouts();
  bool anyHeld() const;  // told held, by either thread
  int nextTimeoutMs() const;
  void recheckPending();
  void markHeldSince(const Entry& entry);

  DaemonContext& context_;
  Options options_;
  MasterLease lease_;

  // Posted tasks: the only state shared across threads (with its mutex).
  std::mutex tasksMutex_;
  std::deque<std::function<void()>> tasks_;
  int eventFd_ = -1;
  int epollFd_ = -1;
  int listenFd_ = -1;
  std::atomic<bool> stopping_{false};
  bool holdsFor(const std::string& uuid) const;
  // The instances (uuids, once per entry) with locks held or waited for: written by the lock
  // thread, read by the loop's instanceExited().
  mutable std::mutex holdersMutex_;
  std::multiset<std::string> holders_;
  // The session listeners install() added (under tasksMutex_), removed by the destructor.
  std::vector<std::pair<std::weak_ptr<zk::Session>, std::size_t>> listeners_;

  // Owned by the lock thread.
  std::map<pid_t, Owner> owners_;                           // by the managed process's pid
  std::map<int, std::unique_ptr<Connection>> connections_;  // by socket fd
  std::map<int, int> pidfds_;                               // pidfd -> socket fd
  std::map<std::uint64_t, std::unique_ptr<Entry>> entries_;
  std::uint64_t nextEntry_ = 1;
  // No connection to ZooKeeper: no lock may be granted (read by the client thread's fast path too).
  std::atomic<bool> cutOff_{false};

  std::unique_ptr<LeaseRenewer> renewer_;
  std::thread thread_;
};

}  // namespace sm::daemon

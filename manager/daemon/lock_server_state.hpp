#pragma once
// Internal to the lock server (lock_server.cpp: connections and the thread; lock_grants.cpp: the
// ZooKeeper queue places and their leases): the state its thread owns.
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "config/resource_lock_data.hpp"
#include "manager/daemon/lock_peer.hpp"
#include "manager/daemon/lock_server.hpp"
#include "manager/daemon/lock_socket_writer.hpp"
#include "manager/zk/queue_member.hpp"

namespace sm::daemon {

struct LockServer::Connection {
  int fd = -1;
  std::shared_ptr<LockSocketWriter> writer;
  int pidfd = -1;
  PeerCredentials peer;
  std::optional<Owner> owner;
  bool pending = false;  // descends from this daemon, but from no managed process known yet
  std::chrono::steady_clock::time_point since = std::chrono::steady_clock::now();
  std::string input;
  std::map<std::string, std::uint64_t> entries;  // lock name -> entry
};

// What the session's client thread needs to tell a waiter "held" itself (the fast path).
struct LockServer::EarlyGrant {
  std::shared_ptr<LockSocketWriter> writer;
  std::string name;
  std::weak_ptr<zk::QueueMember> member;
  std::atomic<bool> told{false};  // "held" was sent, by whichever thread came first
};

struct LockServer::Entry {
  std::uint64_t id = 0;
  int fd = -1;  // the connection's
  std::shared_ptr<EarlyGrant> grant;
  std::string name;
  pid_t pid = 0;
  std::string dir;
  std::shared_ptr<zk::QueueMember> member;
  config::ResourceLockData data;
  bool held = false;
  bool tryOnly = false;
  std::optional<std::chrono::steady_clock::time_point> deadline;
};

}  // namespace sm::daemon

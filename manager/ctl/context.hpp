#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "config/layout.hpp"
#include "manager/zk/session.hpp"

namespace sm::ctl {

// Options that come before the command (and from SERVICESMGR_* variables).
struct GlobalOptions {
  std::string zk = "127.0.0.1:2181";
  std::string root = "/servicesmgr";
  std::string auth;  // USER:PASSWORD for digest auth
  std::string readAccess = "world";  // with auth, who may read what it creates: world|credentials
  int timeoutMs = 10000;
};

// What a command that talks to ZooKeeper works with.
struct Context {
  GlobalOptions global;
  config::Layout layout;
  std::shared_ptr<zk::Session> session;
};

// Checks --root (exit 2 when it is not a valid root); no ZooKeeper yet, so input is validated
// first.
config::Layout layoutFor(const GlobalOptions& global);
// Connects, or throws CliError (exit 1) naming the address.
Context connect(const GlobalOptions& global);

// A service type name given on the command line; exit 2 when the layout could not name it.
void requireTypeName(const std::string& name);

// Milliseconds since the Unix epoch. SERVICESMGR_TEST_NOW_MS fixes it, so that golden tests of
// uptimes run by the real binary do not depend on the clock.
std::int64_t nowMs();

}  // namespace sm::ctl

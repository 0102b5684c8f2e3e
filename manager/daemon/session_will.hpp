#pragma once

#include <istream>
#include <string>

#include "manager/zk/types.hpp"

namespace sm::daemon {

// The daemon's last will (supervisor/orphan_guard.hpp): when the daemon dies while its host lives
// (a crash, SIGKILL, the OOM killer), its orphan guard kills every managed process, confirms they
// are gone, then runs `servicesmgr --close-session-from-stdin` with the session's credentials on
// stdin. That ends the dead daemon's ZooKeeper session at once, so its ephemeral nodes go and the
// next in line are master within milliseconds instead of after the session timeout. Nothing of
// the daemon's can act as master any more by then (failure-semantics.md); a frozen or cut-off
// daemon has no such will run (its guard sees no death) and keeps the lease argument.

inline constexpr const char* kCloseSessionArgument = "--close-session-from-stdin";

// "<connect string>\n<session id>\n<password, hex>\n".
std::string encodeSessionWill(const std::string& hosts, const zk::SessionCredentials& session);

// The will's side: attaches to the session named on `in` and closes it. Returns the exit code:
// 0 also when the session is gone already (nothing left to end), 2 for input it cannot read, 1
// when no server answered.
int closeSessionFromWill(std::istream& in);

}  // namespace sm::daemon

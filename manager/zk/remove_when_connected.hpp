#pragma once
#include <memory>
#include <string>

#include "manager/zk/session.hpp"

namespace sm::zk {

// Deletes a node of this session without ever waiting for a connection: one attempt now if the
// session is connected; otherwise, or when that attempt loses the connection, the node is deleted
// from the session's state listener once it reconnects. A node already gone is fine, and when the
// session ends first there is nothing left to do (an ephemeral node went with it). Throws ZkError
// only for a failure of the first attempt that is not about the connection (e.g. NoAuth).
void removeWhenConnected(const std::shared_ptr<Session>& session, const std::string& path);

}  // namespace sm::zk

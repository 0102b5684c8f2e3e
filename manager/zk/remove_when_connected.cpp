#include "manager/zk/remove_when_connected.hpp"

#include <mutex>

#include <spdlog/spdlog.h>

namespace sm::zk {

namespace {

enum class Attempt { Settled, NeedsConnection };

// One delete, and only while connected: a call made while reconnecting would wait for the
// connection attempt to end.
Attempt removeOnce(Session& session, const std::string& path) {
  if (!session.usable()) return Attempt::Settled;  // the node went with the session
  if (!session.connected()) return Attempt::NeedsConnection;
  try {
    session.remove(path);
    return Attempt::Settled;
  } catch (const ZkError& e) {
    if (e.code() == Code::NoNode || e.isSessionLost()) return Attempt::Settled;
    if (e.isConnectionLoss()) return Attempt::NeedsConnection;
    throw;
  }
}

// A delete waiting for the session to reconnect; kept alive by the session's state listener.
struct PendingRemoval {
  std::weak_ptr<Session> session;
  std::string path;
  std::mutex mutex;  // the listener and the catch-up task may both try
  size_t listener = 0;
  bool settled = false;

  void retry() {
    auto owner = session.lock();
    if (!owner) return;
    std::lock_guard lock(mutex);
    if (settled) return;
    Attempt attempt;
    try {
      attempt = removeOnce(*owner, path);
    } catch (const ZkError& e) {
      spdlog::warn("could not delete {} after the reconnect: {}", path, e.what());
      attempt = Attempt::Settled;
    }
    if (attempt == Attempt::NeedsConnection) return;  // lost again: the next reconnect tries
    settled = true;
    owner->removeStateListener(listener);
  }
};

}  // namespace

void removeWhenConnected(const std::shared_ptr<Session>& session, const std::string& path) {
  if (removeOnce(*session, path) == Attempt::Settled) return;
  spdlog::info("no connection to delete {}: it is deleted once the session reconnects", path);
  auto pending = std::make_shared<PendingRemoval>();
  pending->session = session;
  pending->path = path;
  std::lock_guard lock(pending->mutex);
  pending->listener = session->addStateListener([pending](SessionState state) {
    if (state == SessionState::Connected || state == SessionState::Expired ||
        state == SessionState::AuthFailed || state == SessionState::Closed) {
      pending->retry();  // on a lost session, retry() settles without a call
    }
  });
  // The reconnect may have been reported before the listener was in place.
  if (session->connected()) session->post([pending] { pending->retry(); });
}

}  // namespace sm::zk

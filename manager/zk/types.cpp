#include "manager/zk/types.hpp"

namespace sm::zk {

const char* toString(SessionState state) {
  switch (state) {
    case SessionState::Connecting:
      return "connecting";
    case SessionState::Connected:
      return "connected";
    case SessionState::ReadOnly:
      return "read-only";
    case SessionState::Expired:
      return "expired";
    case SessionState::AuthFailed:
      return "auth-failed";
    case SessionState::Closed:
      return "closed";
  }
  return "?";
}

const char* toString(EventType type) {
  switch (type) {
    case EventType::Created:
      return "created";
    case EventType::Deleted:
      return "deleted";
    case EventType::DataChanged:
      return "data-changed";
    case EventType::ChildrenChanged:
      return "children-changed";
    case EventType::Session:
      return "session";
    case EventType::NotWatching:
      return "not-watching";
  }
  return "?";
}

AclList openAcl() {
  return {{perm::All, "world", "anyone"}};
}

// The "auth" scheme with an empty id is ZooKeeper's way of saying "whoever is creating this".
AclList creatorAllWorldReadAcl() {
  return {{perm::All, "auth", ""}, {perm::Read, "world", "anyone"}};
}

AclList creatorAllAcl() {
  return {{perm::All, "auth", ""}};
}

}  // namespace sm::zk

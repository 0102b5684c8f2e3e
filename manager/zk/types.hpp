#pragma once
// The vocabulary of the ZooKeeper layer, kept free of the C client's header so that users of the
// layer do not inherit its macros.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace sm::zk {

enum class CreateMode { Persistent, Ephemeral, PersistentSequential, EphemeralSequential };

struct Stat {
  int64_t czxid = 0;
  int64_t mzxid = 0;
  int64_t ctime = 0;
  int64_t mtime = 0;
  int32_t version = 0;
  int32_t cversion = 0;
  int32_t aversion = 0;
  int64_t ephemeralOwner = 0;
  int32_t dataLength = 0;
  int32_t numChildren = 0;
  int64_t pzxid = 0;
};

struct Node {
  std::string data;
  Stat stat;
};

// Mirrors the C client's connection states; Connecting covers both "connecting" and "associating".
enum class SessionState { Connecting, Connected, ReadOnly, Expired, AuthFailed, Closed };
const char* toString(SessionState state);

enum class EventType { Created, Deleted, DataChanged, ChildrenChanged, Session, NotWatching };
const char* toString(EventType type);

struct WatchEvent {
  EventType type;
  SessionState state;
  std::string path;
  // The session's connection it came over (Session::connection()). Unlike an answer's, an
  // event's zxid is not kept by the client: only a read over the same connection is sure to see
  // the change it tells of.
  std::uint64_t connection = 0;
};

// One-shot, like every ZooKeeper watch; delivered on the session's dispatcher thread, never on the
// C client's own threads, so a watcher may call the session synchronously.
using Watcher = std::function<void(const WatchEvent&)>;
// A watcher run on the C client's own thread as its event arrives (in the order the server sent
// this session's events), ahead of any dispatcher work. It must neither block nor call ZooKeeper:
// it is for noting an event (a cache marking a path stale) or acting on what a recipe already
// knows, without waking another thread.
struct EarlyWatcher {
  Watcher watcher;
};

namespace perm {
inline constexpr int Read = 1 << 0;
inline constexpr int Write = 1 << 1;
inline constexpr int Create = 1 << 2;
inline constexpr int Delete = 1 << 3;
inline constexpr int Admin = 1 << 4;
inline constexpr int All = Read | Write | Create | Delete | Admin;
}  // namespace perm

struct Acl {
  int perms = perm::All;
  std::string scheme;
  std::string id;
  bool operator==(const Acl&) const = default;
};
using AclList = std::vector<Acl>;

// Anyone may do anything: the default when no credentials are configured.
AclList openAcl();
// The creating credentials may do anything; everyone else may only read.
AclList creatorAllWorldReadAcl();
// The creating credentials alone may do anything, reads included.
AclList creatorAllAcl();

struct DigestCredential {
  std::string user;
  std::string password;
};

// What another handle needs to attach to, or kill, this session.
struct SessionCredentials {
  int64_t id = 0;
  std::string password;
};

}  // namespace sm::zk

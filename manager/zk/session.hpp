#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "manager/zk/dispatcher.hpp"
#include "manager/zk/error.hpp"
#include "manager/zk/op.hpp"
#include "manager/zk/types.hpp"

struct _zhandle;

namespace sm::zk {

struct SessionOptions {
  std::string hosts;  // "127.0.0.1:2181[,127.0.0.1:2182...]"
  std::chrono::milliseconds sessionTimeout{10000};
  std::chrono::milliseconds connectTimeout{10000};
  std::vector<DigestCredential> credentials;
  // ACL for nodes created without one: open when no credentials are given, else the creator's
  // credentials may write and everyone may read.
  std::optional<AclList> defaultAcl;
  // Attach to an existing session instead of opening a new one.
  std::optional<SessionCredentials> attach;
};

// Requests this process sent to ZooKeeper, by operation ("create", "getData", "exists",
// "getChildren", "setData", "delete", "sync", "multi", "getACL", "setACL"), over every session it
// opened: a counter per process, so that a replaced session does not reset it.
std::vector<std::pair<std::string, std::uint64_t>> requestCounts();

// By default the C client shuffles the servers of a connect string; tests that must know which
// server a session reaches first turn that off (it is process-wide).
void setDeterministicConnectOrder(bool deterministic);

// One ZooKeeper session over the multi-threaded C client. Calls are synchronous and throw ZkError
// (with the code and the path) on failure; "no such node" is an ordinary answer where a caller
// routinely asks (get, exists, children). Watches and state changes are delivered on the session's
// own dispatcher thread, in order. A session that expired stays expired: reopen() starts a new one.
class Session : public std::enable_shared_from_this<Session> {
  struct PrivateTag {};

 public:
  using StateListener = std::function<void(SessionState)>;

  // Blocks until connected; throws ZkError naming the hosts if no server answers in connectTimeout.
  static std::shared_ptr<Session> connect(SessionOptions options);
  // A new session with the same options (never attaching to the old one).
  std::shared_ptr<Session> reopen() const;

  Session(PrivateTag, SessionOptions options);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Ends the session: its ephemeral nodes go at once, its watches never fire.
  void close();

  int64_t id() const;
  SessionCredentials credentials() const;
  SessionState state() const { return state_.load(); }
  bool connected() const { return state() == SessionState::Connected; }
  // Counts the connections made so far (1 once connected, 2 after a reconnect, ...). Reads sent
  // over one connection go to one server, which has applied whatever an event that came over it
  // told of; after a reconnect that holds again only once a sync() is answered.
  std::uint64_t connection() const { return connections_.load(); }
  bool usable() const;  // not expired, failed or closed: may still reconnect
  std::chrono::milliseconds negotiatedTimeout() const;  // 0 once closed
  std::string connectedHost() const;  // "127.0.0.1:port", or "" while disconnected
  const SessionOptions& options() const { return options_; }

  // Waits until connected (true), or the session is lost or the time is up (false).
  bool waitConnected(std::chrono::milliseconds timeout) const;

  size_t addStateListener(StateListener listener);
  void removeStateListener(size_t id);
  // Runs a task on the session's dispatcher thread, after the events already queued.
  bool post(std::function<void()> task);
  bool onDispatcherThread() const { return dispatcher_.onDispatcherThread(); }
  // Waits until every callback queued so far has run: after it, an object that has stopped its
  // watches may be destroyed safely. A no-op on the dispatcher thread itself.
  void drain();

  std::string create(const std::string& path, const std::string& data,
                     CreateMode mode = CreateMode::Persistent,
                     const std::optional<AclList>& acl = std::nullopt);
  std::optional<Node> get(const std::string& path, Watcher watcher = {});
  // With an early watcher (see EarlyWatcher), and `later` on the dispatcher after it, if given.
  std::optional<Node> get(const std::string& path, EarlyWatcher early, Watcher later = {});
  std::optional<Stat> exists(const std::string& path, Watcher watcher = {});
  std::optional<Stat> exists(const std::string& path, EarlyWatcher early);
  // Children names (not paths), in server order; nullopt when the node does not exist.
  std::optional<std::vector<std::string>> children(const std::string& path, Watcher watcher = {},
                                                   Stat* stat = nullptr);
  std::optional<std::vector<std::string>> children(const std::string& path, EarlyWatcher early);
  // Several reads sent at once: the C client pipelines them on the session's connection, so they
  // take about one round trip in all rather than one each. An answer is what get(), children()
  // or exists() would give; a failure stays in its `code`, so one lost read hides no other. Only
  // a closed session throws (ZkError Closing), before anything is sent.
  struct Read {
    std::string path;
    bool children = false;  // the child names, else the node
    EarlyWatcher early;
    bool existsOnly = false;  // (not children) whether the node exists: its stat, no data
  };
  struct ReadAnswer {
    // NoNode: the node does not exist; no watch was left, but for existsOnly, whose watch waits
    // for the node's creation.
    Code code = Code::Ok;
    std::optional<Node> node;  // existsOnly: the stat, with empty data
    std::optional<std::vector<std::string>> names;
  };
  std::vector<ReadAnswer> readMany(std::vector<Read> reads);
  Stat set(const std::string& path, const std::string& data, int version = -1);
  void remove(const std::string& path, int version = -1);
  // Brings the connected server up to date with the leader before the next read.
  void sync(const std::string& path);
  // Throws MultiError naming the operation that failed; nothing is applied then.
  std::vector<OpResult> multi(const std::vector<Op>& ops);
  AclList getAcl(const std::string& path);
  void setAcl(const std::string& path, const AclList& acl, int version = -1);

  // Creates the node and its missing parents as persistent nodes; existing ones are left alone.
  void ensurePath(const std::string& path, const std::string& leafData = "");
  // Deletes the node and everything below it; a node that is already gone is fine.
  void removeRecursive(const std::string& path);

  // Watch bookkeeping is public for the C callbacks only.
  void deliverSessionEvent(int cState);
  void deliverPathWatch(uint64_t watchId, int cType, int cState, const char* path);

 private:
  void open();
  void addCredentials();
  const AclList& aclFor(const std::optional<AclList>& acl) const;
  uint64_t registerWatch(Watcher watcher, Watcher early = {});
  std::optional<Node> read(const std::string& path, uint64_t watchId);
  std::optional<Stat> probe(const std::string& path, uint64_t watchId);
  std::optional<std::vector<std::string>> list(const std::string& path, uint64_t watchId,
                                               Stat* stat);
  void dropWatch(uint64_t watchId);
  void setState(SessionState next);
  _zhandle* handle() const;

  SessionOptions options_;
  _zhandle* zh_ = nullptr;
  mutable std::mutex mutex_;
  mutable std::condition_variable stateChanged_;
  std::atomic<SessionState> state_{SessionState::Connecting};
  std::atomic<bool> closing_{false};
  std::atomic<bool> everConnected_{false};
  std::atomic<std::uint64_t> connections_{0};
  std::map<size_t, StateListener> listeners_;
  size_t nextListenerId_ = 1;
  struct Watch {
    Watcher watcher;  // on the dispatcher; may be empty
    Watcher early;    // on the client's thread, first; may be empty
  };
  std::map<uint64_t, Watch> watches_;
  uint64_t nextWatchId_ = 1;
  AclList defaultAcl_;
  Dispatcher dispatcher_;
};

}  // namespace sm::zk

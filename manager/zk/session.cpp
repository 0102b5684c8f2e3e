#include "manager/zk/session.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <zookeeper/zookeeper.h>

#include <array>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "manager/zk/client_log.hpp"
#include "manager/zk/path.hpp"

namespace sm::zk {

namespace {
enum class Request { Create, GetData, Exists, GetChildren, SetData, Delete, Sync, Multi, GetAcl,
                     SetAcl, Count };
constexpr const char* kRequestNames[] = {"create", "getData", "exists", "getChildren", "setData",
                                         "delete", "sync",    "multi",  "getACL",      "setACL"};
std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Request::Count)> requests{};
void counted(Request request) {
  requests[static_cast<std::size_t>(request)].fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

std::vector<std::pair<std::string, std::uint64_t>> requestCounts() {
  std::vector<std::pair<std::string, std::uint64_t>> out;
  for (std::size_t i = 0; i < requests.size(); ++i) {
    out.emplace_back(kRequestNames[i], requests[i].load(std::memory_order_relaxed));
  }
  return out;
}

namespace {

// The least time between two routine resolutions of the server list (see open()).
constexpr std::chrono::milliseconds kServersResolutionDelay{30000};

int toCMode(CreateMode mode) {
  switch (mode) {
    case CreateMode::Persistent:
      return ZOO_PERSISTENT;
    case CreateMode::Ephemeral:
      return ZOO_EPHEMERAL;
    case CreateMode::PersistentSequential:
      return ZOO_PERSISTENT_SEQUENTIAL;
    case CreateMode::EphemeralSequential:
      return ZOO_EPHEMERAL_SEQUENTIAL;
  }
  return ZOO_PERSISTENT;
}

SessionState fromCState(int state) {
  if (state == ZOO_CONNECTED_STATE) return SessionState::Connected;
  if (state == ZOO_READONLY_STATE) return SessionState::ReadOnly;
  if (state == ZOO_EXPIRED_SESSION_STATE) return SessionState::Expired;
  if (state == ZOO_AUTH_FAILED_STATE) return SessionState::AuthFailed;
  return SessionState::Connecting;
}

EventType fromCType(int type) {
  if (type == ZOO_CREATED_EVENT) return EventType::Created;
  if (type == ZOO_DELETED_EVENT) return EventType::Deleted;
  if (type == ZOO_CHANGED_EVENT) return EventType::DataChanged;
  if (type == ZOO_CHILD_EVENT) return EventType::ChildrenChanged;
  if (type == ZOO_SESSION_EVENT) return EventType::Session;
  return EventType::NotWatching;
}

Stat fromC(const ::Stat& s) {
  return {s.czxid,    s.mzxid,          s.ctime,      s.mtime,       s.version, s.cversion,
          s.aversion, s.ephemeralOwner, s.dataLength, s.numChildren, s.pzxid};
}

// The C API takes ACLs as mutable C structs; this keeps their strings alive for one call.
// Not movable: the C structs point into its own members.
class CAcl {
 public:
  explicit CAcl(const AclList& acl) : items_(acl), entries_(acl.size()) {
    for (size_t i = 0; i < items_.size(); ++i) {
      entries_[i].perms = items_[i].perms;
      entries_[i].id.scheme = items_[i].scheme.data();
      entries_[i].id.id = items_[i].id.data();
    }
    vector_.count = static_cast<int32_t>(entries_.size());
    vector_.data = entries_.data();
  }
  CAcl(const CAcl&) = delete;
  CAcl& operator=(const CAcl&) = delete;
  struct ACL_vector* get() {
    return &vector_;
  }

 private:
  AclList items_;
  std::vector<struct ACL> entries_;
  struct ACL_vector vector_ {};
};

// Waits for one asynchronous call. The C client completes every call it accepted (with
// ZCONNECTIONLOSS or ZCLOSING at worst), so the wait needs no time limit of its own.
struct Completion {
  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;
  int rc = ZOK;
  std::string value;
  ::Stat stat{};

  void finish(int result) {
    {
      std::lock_guard lock(mutex);
      rc = result;
      done = true;
    }
    cv.notify_all();
  }
  int wait() {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return done; });
    return rc;
  }
};

void onVoidDone(int rc, const void* data) {
  static_cast<Completion*>(const_cast<void*>(data))->finish(rc);
}

void onStringDone(int rc, const char*, const void* data) {
  static_cast<Completion*>(const_cast<void*>(data))->finish(rc);
}

void onDataDone(int rc, const char* value, int length, const ::Stat* stat, const void* data) {
  auto* c = static_cast<Completion*>(const_cast<void*>(data));
  if (rc == ZOK) {
    if (value && length > 0) c->value.assign(value, static_cast<size_t>(length));
    if (stat) c->stat = *stat;
  }
  c->finish(rc);
}

// The answers of one readMany(): each read fills its slot, the last one wakes the caller.
struct ReadBatch {
  struct Slot {
    ReadBatch* batch = nullptr;
    int rc = ZOK;
    std::string value;
    ::Stat stat{};
    std::vector<std::string> names;
  };
  std::mutex mutex;
  std::condition_variable cv;
  std::size_t remaining = 0;
  std::vector<Slot> slots;

  void finish(Slot& slot, int rc) {
    std::lock_guard lock(mutex);
    slot.rc = rc;
    if (--remaining == 0) cv.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return remaining == 0; });
  }
};

void onBatchDataDone(int rc, const char* value, int length, const ::Stat* stat, const void* data) {
  auto* slot = static_cast<ReadBatch::Slot*>(const_cast<void*>(data));
  if (rc == ZOK) {
    if (value && length > 0) slot->value.assign(value, static_cast<size_t>(length));
    if (stat) slot->stat = *stat;
  }
  slot->batch->finish(*slot, rc);
}

void onBatchStatDone(int rc, const ::Stat* stat, const void* data) {
  auto* slot = static_cast<ReadBatch::Slot*>(const_cast<void*>(data));
  if (rc == ZOK && stat) slot->stat = *stat;
  slot->batch->finish(*slot, rc);
}

void onBatchChildrenDone(int rc, const struct String_vector* names, const ::Stat* stat,
                         const void* data) {
  auto* slot = static_cast<ReadBatch::Slot*>(const_cast<void*>(data));
  if (rc == ZOK && names) {
    slot->names.reserve(static_cast<size_t>(names->count));
    for (int32_t i = 0; i < names->count; ++i) slot->names.emplace_back(names->data[i]);
    if (stat) slot->stat = *stat;
  }
  slot->batch->finish(*slot, rc);
}

void sessionWatcher(zhandle_t*, int type, int state, const char*, void* context) {
  if (type == ZOO_SESSION_EVENT) static_cast<Session*>(context)->deliverSessionEvent(state);
}

void pathWatcher(zhandle_t* zh, int type, int state, const char* path, void* context) {
  auto* session = static_cast<Session*>(const_cast<void*>(zoo_get_context(zh)));
  session->deliverPathWatch(reinterpret_cast<uintptr_t>(context), type, state, path);
}

void check(int rc, const char* op, const std::string& path) {
  if (rc != ZOK) throw ZkError(static_cast<Code>(rc), op, path);
}

}  // namespace

void setDeterministicConnectOrder(bool deterministic) {
  zoo_deterministic_conn_order(deterministic);
}

std::shared_ptr<Session> Session::connect(SessionOptions options) {
  auto session = std::make_shared<Session>(PrivateTag{}, std::move(options));
  session->open();
  return session;
}

std::shared_ptr<Session> Session::reopen() const {
  SessionOptions fresh;
  fresh.hosts = options_.hosts;
  fresh.sessionTimeout = options_.sessionTimeout;
  fresh.connectTimeout = options_.connectTimeout;
  fresh.credentials = options_.credentials;
  fresh.defaultAcl = options_.defaultAcl;
  return connect(std::move(fresh));
}

Session::Session(PrivateTag, SessionOptions options) : options_(std::move(options)) {
  if (options_.defaultAcl) {
    defaultAcl_ = *options_.defaultAcl;
  } else {
    defaultAcl_ = options_.credentials.empty() ? openAcl() : creatorAllWorldReadAcl();
  }
}

Session::~Session() {
  close();
  dispatcher_.stop();
}

void Session::open() {
  clientid_t attachTo{};
  const clientid_t* attachPtr = nullptr;
  if (options_.attach) {
    attachTo.client_id = options_.attach->id;
    std::memcpy(attachTo.passwd, options_.attach->password.data(),
                std::min(sizeof attachTo.passwd, options_.attach->password.size()));
    attachPtr = &attachTo;
  }
  syncClientLogLevel();
  zh_ = zookeeper_init2(options_.hosts.c_str(), &sessionWatcher,
                        static_cast<int>(options_.sessionTimeout.count()), attachPtr, this, 0,
                        &forwardClientLog);
  if (!zh_) {
    throw ZkError(Code::BadArguments, "connect", options_.hosts,
                  fmt::format("cannot start a ZooKeeper client for \"{}\": {}", options_.hosts,
                              std::strerror(errno)));
  }
  // By default the client resolves the server list again every time it polls its socket
  // (getaddrinfo, a netlink dump of the interfaces): some hundred times a second per busy daemon.
  // Routine resolutions at most every 30 s still follow a DNS change; a connection loss resolves
  // at once.
  zoo_set_servers_resolution_delay(zh_, static_cast<int>(kServersResolutionDelay.count()));
  SessionState reached;
  {
    std::unique_lock lock(mutex_);
    stateChanged_.wait_for(lock, options_.connectTimeout,
                           [&] { return state_.load() != SessionState::Connecting; });
    reached = state_.load();
  }
  if (reached == SessionState::Connected) {
    addCredentials();
    return;
  }
  close();
  if (reached == SessionState::Expired) {
    throw ZkError(Code::SessionExpired, "connect", options_.hosts,
                  "the session to attach to has expired");
  }
  if (reached == SessionState::AuthFailed) {
    throw ZkError(Code::AuthFailed, "connect", options_.hosts, "authentication failed");
  }
  throw ZkError(Code::OperationTimeout, "connect", options_.hosts,
                fmt::format("no ZooKeeper server answered at {} within {} ms", options_.hosts,
                            options_.connectTimeout.count()));
}

void Session::addCredentials() {
  for (const auto& credential : options_.credentials) {
    std::string cert = credential.user + ":" + credential.password;
    Completion done;
    int rc =
        zoo_add_auth(zh_, "digest", cert.data(), static_cast<int>(cert.size()), &onVoidDone, &done);
    if (rc == ZOK) rc = done.wait();
    if (rc != ZOK) {
      throw ZkError(static_cast<Code>(rc), "add-auth", options_.hosts,
                    fmt::format("digest credentials of user \"{}\" were refused", credential.user));
    }
  }
}

void Session::close() {
  if (closing_.exchange(true)) return;
  if (zh_) {
    auto id = zoo_client_id(zh_)->client_id;
    zookeeper_close(zh_);
    zh_ = nullptr;
    if (everConnected_) spdlog::debug("zookeeper session 0x{:x} closed", id);
  }
  {
    std::lock_guard lock(mutex_);
    watches_.clear();
  }
  setState(SessionState::Closed);
}

_zhandle* Session::handle() const {
  if (!zh_ || closing_) throw ZkError(Code::Closing, "use", "", "the session is closed");
  return zh_;
}

int64_t Session::id() const {
  return zh_ ? zoo_client_id(zh_)->client_id : 0;
}

SessionCredentials Session::credentials() const {
  const clientid_t* c = zoo_client_id(handle());
  return {c->client_id, std::string(c->passwd, sizeof c->passwd)};
}

bool Session::usable() const {
  auto s = state();
  return s == SessionState::Connected || s == SessionState::Connecting ||
         s == SessionState::ReadOnly;
}

std::chrono::milliseconds Session::negotiatedTimeout() const {
  // A plain question: answered with 0 rather than an exception once the session is closed.
  if (!zh_ || closing_) return std::chrono::milliseconds(0);
  return std::chrono::milliseconds(zoo_recv_timeout(zh_));
}

std::string Session::connectedHost() const {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (!zh_ || !zookeeper_get_connected_host(zh_, reinterpret_cast<sockaddr*>(&address), &length)) {
    return "";
  }
  char text[INET6_ADDRSTRLEN] = {};
  if (address.ss_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&address);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof text);
    return fmt::format("{}:{}", text, ntohs(in->sin_port));
  }
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&address);
  inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof text);
  return fmt::format("[{}]:{}", text, ntohs(in6->sin6_port));
}

bool Session::waitConnected(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  stateChanged_.wait_for(lock, timeout, [&] {
    auto s = state_.load();
    return s != SessionState::Connecting && s != SessionState::ReadOnly;
  });
  return state_.load() == SessionState::Connected;
}

size_t Session::addStateListener(StateListener listener) {
  std::lock_guard lock(mutex_);
  auto id = nextListenerId_++;
  listeners_.emplace(id, std::move(listener));
  return id;
}

void Session::removeStateListener(size_t id) {
  std::lock_guard lock(mutex_);
  listeners_.erase(id);
}

bool Session::post(std::function<void()> task) {
  return dispatcher_.post(std::move(task));
}

void Session::drain() {
  if (dispatcher_.onDispatcherThread()) return;
  auto done = std::make_shared<Completion>();
  if (dispatcher_.post([done] { done->finish(ZOK); })) done->wait();
}

void Session::setState(SessionState next) {
  {
    std::lock_guard lock(mutex_);
    auto previous = state_.load();
    if (previous == next || previous == SessionState::Closed) return;
    // Expiry and auth failure are final for this handle; only close() moves on from them.
    if ((previous == SessionState::Expired || previous == SessionState::AuthFailed) &&
        next != SessionState::Closed) {
      return;
    }
    state_ = next;
    if (next == SessionState::Expired || next == SessionState::AuthFailed) watches_.clear();
  }
  stateChanged_.notify_all();
  dispatcher_.post([weak = weak_from_this(), next] {
    auto self = weak.lock();
    if (!self) return;
    std::vector<StateListener> listeners;
    {
      std::lock_guard lock(self->mutex_);
      for (auto& [id, listener] : self->listeners_) listeners.push_back(listener);
    }
    for (auto& listener : listeners) listener(next);
  });
}

void Session::deliverSessionEvent(int cState) {
  auto next = fromCState(cState);
  auto previous = state_.load();
  if (next == previous) return;
  int64_t sessionId = zh_ ? zoo_client_id(zh_)->client_id : 0;
  switch (next) {
    case SessionState::Connected:
      // On the C client's thread, in order with answers and events: an answer or event that
      // comes over the new connection finds the count moved on.
      ++connections_;
      if (!everConnected_) {
        everConnected_ = true;
        spdlog::debug("zookeeper session 0x{:x} established (timeout {} ms)", sessionId,
                      zh_ ? zoo_recv_timeout(zh_) : 0);
      } else {
        spdlog::info("zookeeper session 0x{:x} reconnected", sessionId);
      }
      break;
    case SessionState::Connecting:
      if (everConnected_) {
        spdlog::warn("zookeeper session 0x{:x} lost its connection, reconnecting", sessionId);
      }
      break;
    case SessionState::Expired:
      spdlog::warn("zookeeper session 0x{:x} expired", sessionId);
      break;
    case SessionState::AuthFailed:
      spdlog::error("zookeeper session 0x{:x}: authentication failed", sessionId);
      break;
    default:
      break;
  }
  setState(next);
}

uint64_t Session::registerWatch(Watcher watcher, Watcher early) {
  if (!watcher && !early) return 0;
  std::lock_guard lock(mutex_);
  auto id = nextWatchId_++;
  watches_.emplace(id, Watch{std::move(watcher), std::move(early)});
  return id;
}

void Session::dropWatch(uint64_t watchId) {
  if (watchId == 0) return;
  std::lock_guard lock(mutex_);
  watches_.erase(watchId);
}

void Session::deliverPathWatch(uint64_t watchId, int cType, int cState, const char* path) {
  // The C client also tells every path watcher of each connection change; the session listeners
  // report those, and a path watch stays armed across reconnects, so only real events count.
  if (cType == ZOO_SESSION_EVENT) return;
  Watch watch;
  {
    std::lock_guard lock(mutex_);
    auto it = watches_.find(watchId);
    if (it == watches_.end()) return;
    watch = std::move(it->second);
    watches_.erase(it);
  }
  WatchEvent event{fromCType(cType), fromCState(cState), path ? path : "", connections_.load()};
  if (watch.early) watch.early(event);
  if (!watch.watcher) return;
  dispatcher_.post([weak = weak_from_this(), watcher = std::move(watch.watcher), event] {
    if (weak.lock()) watcher(event);
  });
}

const AclList& Session::aclFor(const std::optional<AclList>& acl) const {
  return acl ? *acl : defaultAcl_;
}

std::string Session::create(const std::string& path, const std::string& data, CreateMode mode,
                            const std::optional<AclList>& acl) {
  CAcl cacl(aclFor(acl));
  std::string created(path.size() + 32, '\0');
  counted(Request::Create);
  int rc = zoo_create(handle(), path.c_str(), data.data(), static_cast<int>(data.size()),
                      cacl.get(), toCMode(mode), created.data(), static_cast<int>(created.size()));
  check(rc, "create", path);
  created.resize(std::strlen(created.c_str()));
  return created;
}

std::optional<Node> Session::get(const std::string& path, Watcher watcher) {
  return read(path, registerWatch(std::move(watcher)));
}

std::optional<Node> Session::get(const std::string& path, EarlyWatcher early, Watcher later) {
  return read(path, registerWatch(std::move(later), std::move(early.watcher)));
}

std::optional<Node> Session::read(const std::string& path, uint64_t watchId) {
  Completion done;
  // The asynchronous call hands over the whole value, whatever its size; the synchronous one
  // would need a buffer sized in advance.
  counted(Request::GetData);
  int rc = zoo_awget(handle(), path.c_str(), watchId ? &pathWatcher : nullptr,
                     reinterpret_cast<void*>(watchId), &onDataDone, &done);
  if (rc == ZOK) rc = done.wait();
  if (rc != ZOK) dropWatch(watchId);
  if (rc == ZNONODE) return std::nullopt;
  check(rc, "get", path);
  return Node{std::move(done.value), fromC(done.stat)};
}

std::optional<Stat> Session::exists(const std::string& path, Watcher watcher) {
  return probe(path, registerWatch(std::move(watcher)));
}

std::optional<Stat> Session::exists(const std::string& path, EarlyWatcher early) {
  return probe(path, registerWatch({}, std::move(early.watcher)));
}

std::optional<Stat> Session::probe(const std::string& path, uint64_t watchId) {
  ::Stat stat{};
  counted(Request::Exists);
  int rc = zoo_wexists(handle(), path.c_str(), watchId ? &pathWatcher : nullptr,
                       reinterpret_cast<void*>(watchId), &stat);
  if (rc == ZOK) return fromC(stat);
  // On a missing node the watch stays armed: it fires when the node is created.
  if (rc == ZNONODE) return std::nullopt;
  dropWatch(watchId);
  check(rc, "exists", path);
  return std::nullopt;
}

std::optional<std::vector<std::string>> Session::children(const std::string& path, Watcher watcher,
                                                          Stat* stat) {
  return list(path, registerWatch(std::move(watcher)), stat);
}

std::optional<std::vector<std::string>> Session::children(const std::string& path,
                                                          EarlyWatcher early) {
  return list(path, registerWatch({}, std::move(early.watcher)), nullptr);
}

std::optional<std::vector<std::string>> Session::list(const std::string& path, uint64_t watchId,
                                                      Stat* stat) {
  struct String_vector names {};
  ::Stat cstat{};
  counted(Request::GetChildren);
  int rc = zoo_wget_children2(handle(), path.c_str(), watchId ? &pathWatcher : nullptr,
                              reinterpret_cast<void*>(watchId), &names, &cstat);
  if (rc != ZOK) dropWatch(watchId);
  if (rc == ZNONODE) return std::nullopt;
  check(rc, "children", path);
  std::vector<std::string> result;
  result.reserve(static_cast<size_t>(names.count));
  for (int32_t i = 0; i < names.count; ++i) result.emplace_back(names.data[i]);
  deallocate_String_vector(&names);
  if (stat) *stat = fromC(cstat);
  return result;
}

std::vector<Session::ReadAnswer> Session::readMany(std::vector<Read> reads) {
  std::vector<ReadAnswer> answers(reads.size());
  // Thrown for a closed session before anything is sent: every read sent has its completion.
  auto* zh = handle();
  ReadBatch batch;
  batch.slots.resize(reads.size());
  batch.remaining = reads.size();
  std::vector<uint64_t> watchIds(reads.size(), 0);
  for (size_t i = 0; i < reads.size(); ++i) {
    auto& read = reads[i];
    auto& slot = batch.slots[i];
    slot.batch = &batch;
    watchIds[i] = registerWatch({}, std::move(read.early.watcher));
    void* context = reinterpret_cast<void*>(watchIds[i]);
    watcher_fn watcher = watchIds[i] ? &pathWatcher : nullptr;
    int rc;
    if (read.children) {
      counted(Request::GetChildren);
      rc = zoo_awget_children2(zh, read.path.c_str(), watcher, context, &onBatchChildrenDone,
                               &slot);
    } else if (read.existsOnly) {
      counted(Request::Exists);
      rc = zoo_awexists(zh, read.path.c_str(), watcher, context, &onBatchStatDone, &slot);
    } else {
      counted(Request::GetData);
      rc = zoo_awget(zh, read.path.c_str(), watcher, context, &onBatchDataDone, &slot);
    }
    // Not sent (the session is gone): no completion will come.
    if (rc != ZOK) batch.finish(slot, rc);
  }
  batch.wait();
  for (size_t i = 0; i < reads.size(); ++i) {
    auto& slot = batch.slots[i];
    auto& answer = answers[i];
    answer.code = static_cast<Code>(slot.rc);
    // exists() leaves its watch on a missing node: it tells of the node's creation.
    if (slot.rc == ZNONODE && reads[i].existsOnly && !reads[i].children) continue;
    if (slot.rc != ZOK) {
      dropWatch(watchIds[i]);
      continue;
    }
    if (reads[i].children) {
      answer.names = std::move(slot.names);
    } else {
      answer.node = Node{std::move(slot.value), fromC(slot.stat)};
    }
  }
  return answers;
}

Stat Session::set(const std::string& path, const std::string& data, int version) {
  ::Stat stat{};
  counted(Request::SetData);
  int rc =
      zoo_set2(handle(), path.c_str(), data.data(), static_cast<int>(data.size()), version, &stat);
  check(rc, "set", path);
  return fromC(stat);
}

void Session::remove(const std::string& path, int version) {
  counted(Request::Delete);
  check(zoo_delete(handle(), path.c_str(), version), "delete", path);
}

void Session::sync(const std::string& path) {
  Completion done;
  counted(Request::Sync);
  int rc = zoo_async(handle(), path.c_str(), &onStringDone, &done);
  if (rc == ZOK) rc = done.wait();
  check(rc, "sync", path);
}

std::vector<OpResult> Session::multi(const std::vector<Op>& ops) {
  if (ops.empty()) return {};
  // The C client's zoo_multi frees its completion twice when the session is already lost (a
  // double free, seen with 3.8.0): never hand it a lost session.
  if (!usable()) throw ZkError(Code::SessionExpired, "multi", ops.front().path);
  const size_t n = ops.size();
  std::vector<zoo_op_t> cops(n);
  std::vector<zoo_op_result_t> results(n);
  std::vector<std::string> created(n);
  std::vector<::Stat> stats(n);
  std::vector<std::unique_ptr<CAcl>> acls;
  for (size_t i = 0; i < n; ++i) {
    const Op& op = ops[i];
    switch (op.kind) {
      case Op::Kind::Create:
        created[i].assign(op.path.size() + 32, '\0');
        acls.push_back(std::make_unique<CAcl>(aclFor(op.acl)));
        zoo_create_op_init(&cops[i], op.path.c_str(), op.data.data(),
                           static_cast<int>(op.data.size()), acls.back()->get(), toCMode(op.mode),
                           created[i].data(), static_cast<int>(created[i].size()));
        break;
      case Op::Kind::Remove:
        zoo_delete_op_init(&cops[i], op.path.c_str(), op.version);
        break;
      case Op::Kind::Set:
        zoo_set_op_init(&cops[i], op.path.c_str(), op.data.data(), static_cast<int>(op.data.size()),
                        op.version, &stats[i]);
        break;
      case Op::Kind::Check:
        zoo_check_op_init(&cops[i], op.path.c_str(), op.version);
        break;
    }
  }
  counted(Request::Multi);
  int rc = zoo_multi(handle(), static_cast<int>(n), cops.data(), results.data());
  if (rc != ZOK) {
    for (size_t i = 0; i < n; ++i) {
      int err = results[i].err;
      if (err != ZOK && err != ZRUNTIMEINCONSISTENCY) {
        throw MultiError(static_cast<Code>(err), i, ops[i].path);
      }
    }
    throw ZkError(static_cast<Code>(rc), "multi", ops.front().path);
  }
  std::vector<OpResult> out(n);
  for (size_t i = 0; i < n; ++i) {
    if (ops[i].kind == Op::Kind::Create) out[i].createdPath = created[i].c_str();
    if (ops[i].kind == Op::Kind::Set) out[i].stat = fromC(stats[i]);
  }
  return out;
}

AclList Session::getAcl(const std::string& path) {
  struct ACL_vector acl {};
  ::Stat stat{};
  counted(Request::GetAcl);
  check(zoo_get_acl(handle(), path.c_str(), &acl, &stat), "get-acl", path);
  AclList result;
  for (int32_t i = 0; i < acl.count; ++i) {
    result.push_back({acl.data[i].perms, acl.data[i].id.scheme, acl.data[i].id.id});
  }
  deallocate_ACL_vector(&acl);
  return result;
}

void Session::setAcl(const std::string& path, const AclList& acl, int version) {
  CAcl cacl(acl);
  counted(Request::SetAcl);
  check(zoo_set_acl(handle(), path.c_str(), version, cacl.get()), "set-acl", path);
}

void Session::ensurePath(const std::string& path, const std::string& leafData) {
  if (exists(path)) return;
  std::string prefix;
  size_t start = 1;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    prefix = path.substr(0, end);
    bool leaf = end == path.size();
    try {
      create(prefix, leaf ? leafData : "");
    } catch (const ZkError& e) {
      if (e.code() != Code::NodeExists) throw;
    }
    start = end + 1;
  }
}

void Session::removeRecursive(const std::string& path) {
  // New children may appear while we delete (another client); go round again a few times.
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto names = children(path);
    if (!names) return;
    for (const auto& name : *names) removeRecursive(childPath(path, name));
    try {
      remove(path);
      return;
    } catch (const ZkError& e) {
      if (e.code() == Code::NoNode) return;
      if (e.code() != Code::NotEmpty) throw;
    }
  }
  throw ZkError(Code::NotEmpty, "delete-recursive", path, "children keep appearing");
}

}  // namespace sm::zk

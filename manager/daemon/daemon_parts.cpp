#include "manager/daemon/daemon_parts.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "config/lock_contender_data.hpp"
#include "config/root_data.hpp"
#include "manager/daemon/process_template.hpp"
#include "manager/daemon/reconcile/drain_plan.hpp"
#include "manager/daemon/reconcile/handover_plan.hpp"
#include "manager/daemon/reconcile/instance_plan.hpp"
#include "manager/daemon/reconcile/persistent_plan.hpp"
#include "manager/zk/error.hpp"

namespace sm::daemon {

namespace {
// events/ keeps this many of the newest (docs/tree.md); trimmed once 10 % more are there.
constexpr std::size_t kEventsKept = 1000;

// Removes a node read at `version`; changed or gone meanwhile, the next pass reads it again.
// True when this call removed it.
bool removeIfUnchanged(zk::Session& session, const std::string& path, std::int32_t version) {
  try {
    session.remove(path, version);
    return true;
  } catch (const zk::ZkError& e) {
    if (e.code() != zk::Code::BadVersion && e.code() != zk::Code::NoNode) throw;
    return false;
  }
}
}  // namespace

DaemonParts::DaemonParts(DaemonContext& context, LoopInbox& inbox)
    : context(context),
      inbox(inbox),
      instances(context, inbox),
      hosts(context),
      monitor(context),
      placer(context, instances) {
  LockServer::Options options;
  options.socketPath = lockSocketPath(context.options);
  auto server = std::make_unique<LockServer>(context, std::move(options));
  try {
    server->start();
    locks = std::move(server);
  } catch (const std::exception& e) {
    // Not fatal: the managed processes cannot ask for locks (they are told so when they try).
    spdlog::error("no lock server: {}", e.what());
  }
}

DaemonParts::~DaemonParts() {
  // Their threads use the session: stopped before anything else goes.
  locks.reset();
  eventsRetention.reset();
}

void DaemonParts::install(std::shared_ptr<zk::Session> session) {
  std::weak_ptr<zk::Session> weak = session;
  auto& target = inbox;
  session->addStateListener([&target, weak](zk::SessionState state) {
    using Kind = ConnectionEvent::Kind;
    if (state == zk::SessionState::Expired || state == zk::SessionState::AuthFailed) {
      target.post(ConnectionEvent{Kind::Expired, weak});
    } else if (state == zk::SessionState::Connecting) {
      target.post(ConnectionEvent{Kind::Lost, weak});
    } else if (state == zk::SessionState::Connected) {
      target.post(ConnectionEvent{Kind::Back, weak});
    }
  });
  context.setSession(session);
  if (locks) locks->install(session);
  instances.setSessionWill(context.options.zk, session->credentials());
  // Its first Connected came before the listener could see it.
  instances.connectionBack();
  const auto& layout = context.layout;
  for (const auto& path : layout.keyZnodes()) {
    session->ensurePath(path, path == layout.root()
                                  ? config::encodeRootData({config::federationName(layout)})
                                  : "");
  }
  // This host's inbox, so that the monitor holders' first assignments to it go in one multi().
  session->ensurePath(layout.hostAssignments(context.options.hostId));
  zk::ChildRetention::Options retention;
  retention.dir = layout.eventsDir();
  retention.childPrefix = std::string(config::Layout::kEventChildPrefix);
  retention.lockDir = layout.eventsRetentionLock();
  retention.lockPrefix = std::string(config::Layout::kLockChildPrefix);
  retention.lockData = config::encodeLockContenderData({context.options.hostId, std::nullopt});
  retention.keep = kEventsKept;
  eventsRetention.reset();  // the old session's, if any
  eventsRetention = std::make_unique<zk::ChildRetention>(session, std::move(retention));
  eventsRetention->start();
}

bool DaemonParts::flushEvents() {
  auto session = context.session();
  if (!session || context.events.pending() == 0) return false;
  if (context.events.flush(*session, context.layout) == 0) return false;
  if (eventsRetention) eventsRetention->poke();
  return true;
}

bool DaemonParts::handle(const LoopEvent& event, bool& sessionLost) {
  if (const auto* process = std::get_if<ProcessEvent>(&event)) {
    using Kind = supervisor::InstanceEvent::Kind;
    const auto kind = process->event.kind;
    // Before anything else done for an exit: the locks held for the process go (lock_server.hpp).
    if (locks && kind == Kind::Exited) locks->instanceExited(process->event.instanceId);
    instances.handle(*process);
    if (locks && kind == Kind::Started) {
      if (auto id = instances.idOf(process->event.instanceId)) {
        locks->instanceStarted(id->uuid, process->event.pid, id->logical.type,
                               id->logical.sequence);
      }
    }
    // A started or ready process is registered or marked running by the next pass, and placements
    // wait for that. The rest (an exit, a restart) was acted on here; the pass that follows only
    // catches up, and waits until the watches of the same change have fired.
    if (kind == Kind::Started || kind == Kind::Ready) return true;
    inbox.wakeSoon();
    return false;
  }
  if (const auto* election = std::get_if<ElectionEvent>(&event)) {
    // The role was told here; the pass only tells secondaries the new master's address.
    instances.handle(*election);
    inbox.wakeSoon();
    return false;
  }
  if (const auto* score = std::get_if<ScoreEvent>(&event)) {
    // Published here; a candidate waiting for it decides in the pass it asks for.
    instances.handle(*score);
    return false;
  }
  if (const auto* lease = std::get_if<LeaseEvent>(&event)) {
    instances.handle(*lease);
    return false;  // role files only: nothing for a pass
  }
  const auto& connection = std::get<ConnectionEvent>(event);
  // News of a session already replaced must not touch its successor.
  if (context.session() != connection.session.lock()) return false;
  switch (connection.kind) {
    case ConnectionEvent::Kind::Lost:
      instances.connectionLost();
      return false;
    case ConnectionEvent::Kind::Back:
      instances.connectionBack();
      return true;
    case ConnectionEvent::Kind::Expired:
      instances.connectionLost();
      sessionLost = true;
      return true;
  }
  return true;
}

model::Focus DaemonParts::focus() const {
  model::Focus focus;
  focus.host = context.options.hostId;
  focus.wholeTypes = monitor.heldTypes();
  focus.logical = instances.logicalServices();
  for (const auto& id : placer.contending()) focus.logical.insert(id);
  focus.ownHost = hosts.published();
  return focus;
}

void DaemonParts::reconcileInstances(const model::ClusterSnapshot& snapshot) {
  for (const auto& action : planInstances(snapshot, instances.views())) {
    switch (action.kind) {
      case InstanceAction::Kind::Stop:
        instances.stop(action.uuid, action.reason);
        break;
      case InstanceAction::Kind::Update:
        instances.update(action.uuid, action.data);
        break;
      case InstanceAction::Kind::Rewrite:
        instances.rewrite(action.uuid);
        break;
    }
  }
}

void DaemonParts::resumeIdentities(const model::ClusterSnapshot& snapshot, std::int64_t nowMs) {
  for (const auto& resume : planResumes(snapshot, context.options.hostId, instances.uuids())) {
    // A crash loop cools the host down for the type: the identity waits here, as it must.
    if (!instances.failures().mayStart(resume.id.logical.type, nowMs)) continue;
    const auto* type = snapshot.type(resume.id.logical.type);
    if (auto error = instances.resume(resume.id, *type->stored, resume.identity)) {
      spdlog::warn("could not start persistent instance {} again: {}", resume.id.uuid, *error);
    }
  }
  instances.registerIdentities(snapshot);
}

void DaemonParts::purgeIdentities(const model::ClusterSnapshot& snapshot) {
  auto session = context.session();
  for (const auto& identity : planPurges(snapshot, context.options.hostId, instances.uuids())) {
    const config::PhysicalServiceId id{{identity.type, identity.data->logical}, identity.uuid};
    const auto dataDir = persistentDataDir(context.options, id);
    const auto path = context.layout.persistentService(identity.type, identity.uuid);
    // Only the directory this daemon made for it: a record names any path, and whoever wrote it
    // must not get a directory of their choice removed.
    if (identity.data->dataDir == dataDir) {
      std::error_code ec;
      std::filesystem::remove_all(dataDir, ec);
      if (ec) {
        spdlog::error("cannot remove {} of forgotten identity {}: {}; trying again", dataDir,
                      identity.uuid, ec.message());
        continue;
      }
      spdlog::info("removed {}, the data of forgotten identity {}", dataDir, identity.uuid);
    } else {
      spdlog::warn("forgotten identity {}: its data directory {} is not this daemon's ({}); left "
                   "in place",
                   identity.uuid, identity.data->dataDir, dataDir);
    }
    removeIfUnchanged(*session, path, identity.version);
    context.tree().invalidate(path);
  }
}

void DaemonParts::operate(const model::ClusterSnapshot& snapshot, std::int64_t nowMs) {
  std::set<std::string> paused;
  for (const auto& [type, pause] : snapshot.paused) paused.insert(type);
  instances.setPausedTypes(std::move(paused));
  instances.enforceEligibility(snapshot);
  const auto& hostId = context.options.hostId;
  auto session = context.session();
  const auto switchovers = planSwitchovers(snapshot, hostId, nowMs);
  for (const auto& requeue : switchovers.requeues) instances.requeue(requeue);
  for (const auto& end : switchovers.ends) {
    const auto path = context.layout.switchover(end.logical);
    spdlog::info("switchover of {} {}", context.layout.logicalService(end.logical),
                 end.done ? "done: its target is master" : "expired: removed");
    // Only the daemon whose remove took it records its end.
    if (removeIfUnchanged(*session, path, end.version)) {
      context.events.record(config::event_kind::kSwitchover, end.logical.type, end.logical.sequence,
                          "",
                          end.done ? "switchover done: its target is master"
                                   : "switchover expired before its target became master: removed");
    }
    context.tree().invalidate(path);
  }
  const auto drain = planDrain(snapshot, hostId, nowMs);
  for (const auto& requeue : drain.handovers) instances.requeue(requeue);
  for (const auto& stop : drain.stops) {
    // The plan asks again until the tree shows it gone: one event, when it starts to stop.
    if (!instances.stopping(stop.id.uuid)) {
      context.events.record(config::event_kind::kDrain, stop.id.logical.type,
                            stop.id.logical.sequence, stop.id.uuid,
                            fmt::format("drain of {}: stopping ({})", hostId, stop.reason));
    }
    switch (stop.identity) {
      case DrainStop::Identity::None:
        instances.stop(stop.id.uuid, stop.reason);
        break;
      case DrainStop::Identity::Keep:
        instances.stopKeepingIdentity(stop.id.uuid, stop.reason);
        break;
      case DrainStop::Identity::Abandon:
        if (abandonIdentity(snapshot, stop.id)) instances.stop(stop.id.uuid, stop.reason);
        break;
    }
  }
}

bool DaemonParts::abandonIdentity(const model::ClusterSnapshot& snapshot,
                                  const config::PhysicalServiceId& id) {
  const auto identities = snapshot.persistent.find(id.logical.type);
  if (identities == snapshot.persistent.end()) return false;
  const auto identity = identities->second.find(id.uuid);
  if (identity == identities->second.end() || !identity->second.data) return false;
  auto data = *identity->second.data;
  data.state = config::PersistentState::Abandoned;
  const auto path = context.layout.persistentService(id.logical.type, id.uuid);
  context.tree().invalidate(path);
  try {
    // Fenced on the version read: a record changed meanwhile is read again by the next pass.
    context.session()->set(path, config::encodePersistentServiceData(data),
                           identity->second.version);
  } catch (const zk::ZkError& e) {
    if (e.code() != zk::Code::BadVersion && e.code() != zk::Code::NoNode) throw;
    return false;
  }
  spdlog::warn("persistent identity {} abandoned on {} (--move-persistent): its data stays "
               "there; a new identity is placed elsewhere",
               id.uuid, context.options.hostId);
  return true;
}

void DaemonParts::leave() {
  instances.stopAll();
  auto session = context.session();
  // Cut off from ZooKeeper, leaving politely could wait for a connection per node: the session's
  // end removes them all the same.
  if (session && session->connected()) {
    try {
      placer.leaveAll();
      monitor.leaveAll();
      hosts.unregister();
    } catch (const zk::ZkError& e) {
      spdlog::warn("leaving the tree: {} (the session's end removes the rest)", e.what());
    }
  }
}

}  // namespace sm::daemon

#include "manager/daemon/local_instances.hpp"

#include "manager/daemon/local_instance.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "config/election_data.hpp"
#include "config/master_eligibility.hpp"
#include "config/persistent_service_data.hpp"
#include "manager/daemon/process_template.hpp"
#include "manager/daemon/reconcile/peer_list.hpp"
#include "manager/daemon/session_will.hpp"
#include "manager/zk/error.hpp"
#include "manager/zk/op.hpp"
#include "manager/zk/path.hpp"

namespace sm::daemon {

namespace {
// A run this long resets the host's backoff for the type.
constexpr std::int64_t kSteadyRunMs = 10000;

using Kind = LifecycleEvent::Kind;

// What a supervisor event means to the lifecycle; nullopt for news that changes no phase.
std::optional<LifecycleEvent> lifecycleEventOf(const supervisor::InstanceEvent& event) {
  using S = supervisor::InstanceEvent::Kind;
  switch (event.kind) {
    case S::Started:
      return LifecycleEvent{Kind::Started};
    case S::Exited:
      return LifecycleEvent{Kind::Exited};
    case S::Unhealthy:
      return LifecycleEvent{Kind::Unhealthy};
    case S::RestartScheduled:
      return LifecycleEvent{Kind::RestartScheduled};
    case S::Failed:
      return LifecycleEvent{Kind::GaveUp, true, event.crashLoop};
    case S::Completed:
      return LifecycleEvent{Kind::GaveUp, false, false};
    case S::Stopped:
      return LifecycleEvent{Kind::Stopped};
    case S::RoleFileFailed:
      return LifecycleEvent{Kind::RoleFileFailed};
    default:
      return std::nullopt;
  }
}
}  // namespace

LocalInstances::LocalInstances(DaemonContext& context, LoopInbox& inbox)
    : context_(context),
      inbox_(inbox),
      lease_(context),
      renewer_(lease_, inbox),
      supervisor_(std::make_unique<supervisor::Supervisor>(
          [&inbox](const supervisor::InstanceEvent& event) { inbox.post(ProcessEvent{event}); })) {}

LocalInstances::~LocalInstances() {
  renewer_.stop();
  supervisor_.reset();
}

LocalInstances::Instance* LocalInstances::find(const std::string& uuid) {
  auto it = instances_.find(uuid);
  return it == instances_.end() ? nullptr : it->second.get();
}

const LocalInstances::Instance* LocalInstances::find(const std::string& uuid) const {
  auto it = instances_.find(uuid);
  return it == instances_.end() ? nullptr : it->second.get();
}

// --- events ---

void LocalInstances::handle(const ProcessEvent& processEvent) {
  const auto& event = processEvent.event;
  auto* instance = find(event.instanceId);
  if (!instance) return;
  using S = supervisor::InstanceEvent::Kind;
  switch (event.kind) {
    case S::Started:
      instance->pid = event.pid;
      instance->startedMs = wallNowMs();
      instance->steadyRecorded = false;
      if (auto status = supervisor_->status(instance->id.uuid)) instance->ports = status->ports;
      break;
    case S::Ready:
      instance->ready = true;
      break;
    case S::Exited:
      instance->pid = 0;
      instance->ready = false;
      instance->lastMessage = event.message;
      // The supervisor wrote `unknown` at the exit (a dead process is nobody's master): the
      // withdrawal that follows need not wait for the same write again.
      instance->master = false;
      instance->told = supervisor::RoleState{};
      instance->told.peers = instance->peers;
      break;
    case S::Unhealthy:
      instance->ready = false;
      instance->lastMessage = "unhealthy: " + event.message;
      break;
    case S::StartFailed:
    case S::Failed:
    case S::RoleFileFailed:
      instance->lastMessage = event.message;
      break;
    default:
      break;
  }
  recordProcessEvent(*instance, event);
  if (auto lifecycle = lifecycleEventOf(event)) apply(*instance, *lifecycle, instance->lastMessage);
  // Paused: the managers start nothing of the type, a restart in place included (Patroni's pause
  // does not start a stopped PostgreSQL either). Its replacement waits for `resume`.
  if (instance->phase == Phase::Restarting && pausedTypes_.contains(instance->id.logical.type)) {
    stop(instance->id.uuid, "its type is paused: not restarted");
    recordEvent(*instance, config::event_kind::kPaused,
                "exited while its type is paused: not restarted");
  }
}

void LocalInstances::handle(const ElectionEvent& event) {
  auto* instance = find(event.uuid);
  // News of an older registration, or of an instance that is no longer registered, is stale.
  if (!instance || instance->registration != event.registration ||
      instance->phase != Phase::Running) {
    return;
  }
  switch (event.kind) {
    case ElectionEvent::Kind::Master: {
      // Told early (from the client's thread) and again from the dispatcher: once is enough.
      if (instance->master && instance->epoch == event.epoch) return;
      if (instance->candidacy && instance->candidacy->event.epoch == event.epoch) return;
      // spec.promotion: first, but master only once the others' scores say so.
      if (promotes(*instance)) {
        startCandidacy(*instance, event);
        break;
      }
      const bool wasSecondary = instance->told.role == services::Role::Secondary;
      instance->master = true;
      instance->epoch = event.epoch;
      // Master only with a lease backed by a recent round trip; else the next renewal tells it.
      tellMaster(*instance, cutOff_ ? 0 : lease_.current());
      // Queued only: written after the batch, once every role in it is told.
      recordMaster(*instance, event, wasSecondary);
      break;
    }
    case ElectionEvent::Kind::Secondary:
      instance->candidacy.reset();
      tellSecondary(*instance);
      break;
    case ElectionEvent::Kind::Lost:
      // Our member went (removed by someone, or the session): the plan decides the rest.
      instance->candidacy.reset();
      instance->master = false;
      tell(*instance, supervisor::RoleState{});
      inbox_.wake();
      break;
  }
}

void LocalInstances::handle(const LeaseEvent& event) {
  const auto now = services::monotonicNowNs();
  for (auto& [uuid, instance] : instances_) {
    if (instance->phase != Phase::Running || !instance->master) continue;
    if (event.deadlineNs > now && !cutOff_) {
      tellMaster(*instance, event.deadlineNs);
    } else if (instance->told.role == services::Role::Master) {
      spdlog::warn("instance {}: master lease lapsed (no answer from ZooKeeper): role unknown",
                   uuid);
      auto state = instance->told;
      state.role = services::Role::Unknown;
      state.leaseUntilMonoNs = 0;
      tell(*instance, state);
    }
  }
}

void LocalInstances::connectionLost() {
  if (cutOff_) return;
  cutOff_ = true;
  for (auto& [uuid, instance] : instances_) {
    if (!instance->master || instance->told.role != services::Role::Master) continue;
    auto state = instance->told;
    state.role = services::Role::Unknown;
    state.leaseUntilMonoNs = 0;
    spdlog::warn("instance {}: connection to ZooKeeper lost: role unknown until it is back", uuid);
    tell(*instance, state);
  }
}

void LocalInstances::setSessionWill(const std::string& hosts,
                                    const zk::SessionCredentials& session) {
  supervisor::OrphanGuard::LastWill will{kCloseSessionArgument, encodeSessionWill(hosts, session)};
  if (!supervisor_->setLastWill(std::move(will))) {
    // Not fatal: a death then fails over after the session timeout, as without a will.
    spdlog::warn("the orphan guard did not take the session's last will");
  }
}

void LocalInstances::connectionBack() {
  if (!cutOff_) return;
  cutOff_ = false;
  renewer_.renewNow();
}

// --- events/ (queued here, written by the loop after the batch or pass) ---

void LocalInstances::recordEvent(const Instance& instance, std::string_view kind,
                                 std::string message) {
  context_.events.record(kind, instance.id.logical.type, instance.id.logical.sequence,
                         instance.id.uuid, std::move(message));
}

void LocalInstances::recordProcessEvent(const Instance& instance,
                                        const supervisor::InstanceEvent& event) {
  using S = supervisor::InstanceEvent::Kind;
  switch (event.kind) {
    // A start is no event of its own: the `placed` or `restarted` that follows names the pid, and
    // one write fewer per placement keeps events off the placement's cost.
    case S::Exited:
      recordEvent(instance, config::event_kind::kExited,
                  fmt::format("pid {}: {}", event.pid, event.message));
      break;
    case S::Unhealthy:
      recordEvent(instance, config::event_kind::kUnhealthy, event.message);
      break;
    case S::StartFailed:
      recordEvent(instance, config::event_kind::kExited, "could not start: " + event.message);
      break;
    default:
      break;
  }
}

void LocalInstances::recordMaster(const Instance& instance, const ElectionEvent& event,
                                  bool wasSecondary) {
  config::EventData data;
  data.kind = std::string(config::event_kind::kMaster);
  data.type = instance.id.logical.type;
  data.logical = instance.id.logical.sequence;
  data.uuid = instance.id.uuid;
  data.epoch = event.epoch;
  // The master before it, as this instance last learned it (followMasters).
  if (instance.masterEpoch >= 0 && instance.masterEpoch != event.epoch) {
    data.previousEpoch = instance.masterEpoch;
  }
  std::string handoff;
  if (wasSecondary) {
    // From its predecessor's end reaching this daemon to the role told: a failover or handover.
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - event.at)
                        .count();
    data.handoffMs = std::max<std::int64_t>(0, ms);
    handoff = fmt::format(", {} ms after its predecessor went", *data.handoffMs);
  }
  data.message = fmt::format("told master on {} (epoch {}{}){}", context_.options.hostId,
                             event.epoch,
                             data.previousEpoch ? fmt::format(", previous {}", *data.previousEpoch)
                                                : std::string(),
                             handoff);
  context_.events.record(std::move(data));
}

// --- the state machine ---

void LocalInstances::apply(Instance& instance, const LifecycleEvent& event,
                           const std::string& why) {
  const auto from = instance.phase;
  const auto step = transition(from, event);
  instance.phase = step.next;
  if (from != step.next) {
    spdlog::debug("instance {}: {} --{}--> {}", instance.id.uuid, phaseName(from),
                  lifecycleEventName(event.kind), phaseName(step.next));
  }
  for (const auto effect : step.effects) perform(instance, effect, event, why);
}

void LocalInstances::perform(Instance& instance, Effect effect, const LifecycleEvent& event,
                             const std::string& why) {
  switch (effect) {
    case Effect::TellUnknown:
      instance.master = false;
      if (instance.told.role != services::Role::Unknown) tell(instance, supervisor::RoleState{});
      break;
    case Effect::WithdrawElection:
      withdrawElection(instance);
      break;
    case Effect::WithdrawAll:
      withdrawAll(instance);
      break;
    case Effect::ForgetElection:
      forgetElection(instance);
      break;
    case Effect::Rejoin:
      rejoin(instance);
      break;
    case Effect::RecordFailure:
      recordFailure(instance, event, why);
      break;
    case Effect::StopProcess:
      supervisor_->stop(instance.id.uuid);
      break;
  }
}

void LocalInstances::recordFailure(Instance& instance, const LifecycleEvent& event,
                                   const std::string& why) {
  const auto now = wallNowMs();
  const auto& type = instance.id.logical.type;
  const auto& restart = instance.type.type.spec.restart;
  auto verdict = event.crashLoop ? failures_.recordCrashLoop(type, restart, now, why)
                                 : failures_.recordExit(type, restart, now, why);
  auto level = verdict.crashLoop ? spdlog::level::warn : spdlog::level::info;
  if (verdict.crashLoop) {
    recordEvent(instance, config::event_kind::kCrashLoop,
                fmt::format("{}; this host takes {} again in {} s", verdict.message, type,
                            (verdict.retryAtMs - now + 999) / 1000));
  }
  spdlog::log(level, "instance {} of {} ended ({}); this host takes {} again in {} ms",
              instance.id.uuid, context_.layout.logicalService(instance.id.logical),
              verdict.message, type, verdict.retryAtMs - now);
}

// --- role files ---

nlohmann::json LocalInstances::peerOf(const Instance& instance) const {
  const std::map<std::string, std::int64_t> ports(instance.ports.begin(), instance.ports.end());
  // The address this host publishes in hosts/<id>: secondaries are told the same one.
  const auto& address = context_.options.address;
  nlohmann::json peer = {{"uuid", instance.id.uuid}, {"host", context_.options.hostId}};
  peer["address"] = address;
  peer["pid"] = instance.pid;
  peer["ports"] = ports;
  peer["endpoints"] = endpointsAt(address, ports);
  return peer;
}

void LocalInstances::tell(Instance& instance, supervisor::RoleState state) {
  state.peers = instance.peers;
  const bool changed = state.role != instance.told.role || state.epoch != instance.told.epoch;
  instance.told = state;
  // Fenced by the pid this role is meant for: a master role decided before an exit this loop has
  // not handled yet is refused, so it cannot reach the run that replaces the one that ended.
  supervisor_->setRole(instance.id.uuid, state, instance.pid);
  if (changed) {
    spdlog::info("instance {} of {} is {} (epoch {})", instance.id.uuid,
                 context_.layout.logicalService(instance.id.logical),
                 services::roleName(state.role), state.epoch);
  }
}

void LocalInstances::tellMaster(Instance& instance, std::uint64_t leaseDeadlineNs) {
  supervisor::RoleState state;
  state.epoch = instance.epoch;
  state.masterPeer = peerOf(instance);
  if (leaseDeadlineNs > services::monotonicNowNs()) {
    state.role = services::Role::Master;
    state.leaseUntilMonoNs = leaseDeadlineNs;
  }
  tell(instance, state);
}

// --- the tree ---

config::PhysicalServiceData LocalInstances::dataOf(const Instance& instance) const {
  config::PhysicalServiceData data;
  data.host = context_.options.hostId;
  data.pid = instance.pid;
  for (const auto& [name, port] : instance.ports) data.ports[name] = port;
  data.started = instance.startedMs;
  data.generation = instance.type.templateFrom();
  data.address = context_.options.address;
  // No process (between an exit and the restart): restarting; a new process: starting until ready.
  data.state = instance.pid == 0 ? config::PhysicalState::Restarting
               : instance.ready  ? config::PhysicalState::Running
                                 : config::PhysicalState::Starting;
  return data;
}

config::PersistentServiceData LocalInstances::identityOf(const Instance& instance,
                                                        config::PersistentServiceData base) const {
  base.logical = instance.id.logical.sequence;
  base.host = context_.options.hostId;
  base.dataDir = persistentDataDir(context_.options, instance.id);
  base.ports.clear();
  for (const auto& [name, port] : instance.ports) base.ports[name] = port;
  base.generation = instance.type.templateFrom();
  base.lastStarted = instance.startedMs;
  base.lostSince = 0;
  base.state = config::PersistentState::Running;
  return base;
}

bool LocalInstances::mayLead(const Instance& instance) const {
  return config::masterEligible(instance.type.type.spec.constraints, context_.options.hostId,
                                context_.options.labels);
}

std::optional<zk::Op> LocalInstances::electionMemberOp(const Instance& instance) const {
  // Not eligible to be master (masterHosts, masterLabels): it never stands in the election.
  if (!mayLead(instance)) return std::nullopt;
  return zk::Op::create(context_.layout.electionMemberPrefix(instance.id),
                        config::encodeElectionData({instance.id.uuid, context_.options.hostId}),
                        zk::CreateMode::EphemeralSequential);
}

void LocalInstances::followOrServe(Instance& instance, const std::vector<zk::OpResult>& results,
                                   bool standing) {
  if (standing) {
    follow(instance, results.back().createdPath);
  } else {
    ++instance.registration;
    instance.electionNode.clear();
  }
  apply(instance, LifecycleEvent{Kind::Registered});
  // No election tells it: a secondary for good, told its master by followMasters().
  if (!standing) tellSecondary(instance);
}

void LocalInstances::tellSecondary(Instance& instance) {
  instance.master = false;
  supervisor::RoleState state;
  state.role = services::Role::Secondary;
  state.epoch = std::max<std::int64_t>(0, instance.masterEpoch);
  state.masterPeer = instance.masterPeer;
  tell(instance, state);
}

void LocalInstances::follow(Instance& instance, const std::string& electionNode) {
  const int registration = ++instance.registration;
  instance.electionNode = electionNode;
  // A new member: its data is what electionMemberOp wrote, and it has answered nothing yet.
  instance.candidacy.reset();
  instance.answeredRound.reset();
  instance.published = config::ElectionData{instance.id.uuid, context_.options.hostId};
  const auto uuid = instance.id.uuid;
  auto& inbox = inbox_;
  auto post = [&inbox, uuid, registration](ElectionEvent::Kind kind, std::int64_t epoch) {
    inbox.post(ElectionEvent{uuid, registration, kind, epoch});
  };
  zk::Election::Callbacks callbacks;
  callbacks.onMaster = [post](std::int64_t epoch) { post(ElectionEvent::Kind::Master, epoch); };
  callbacks.masterEarly = true;  // it only posts: the loop hears of its master one hop sooner
  callbacks.onSecondary = [post](const std::string&) { post(ElectionEvent::Kind::Secondary, 0); };
  callbacks.onLost = [post](zk::LossReason) { post(ElectionEvent::Kind::Lost, 0); };
  instance.election = std::make_unique<zk::Election>(
      context_.session(), context_.layout.electionDir(instance.id.logical), "",
      std::move(callbacks));
  instance.election->follow(electionNode);
}

bool LocalInstances::registerInstance(const config::PhysicalServiceId& id,
                                      const std::string& placeInQueue,
                                      const std::optional<zk::Op>& named) {
  auto* instance = find(id.uuid);
  if (!instance || instance->pid == 0 ||
      (instance->phase != Phase::Starting && instance->phase != Phase::Survivor)) {
    return false;
  }
  const bool survived = instance->phase == Phase::Survivor;
  const auto data = dataOf(*instance);
  const auto& layout = context_.layout;
  const auto physicalPath = layout.physicalService(id);
  const bool persistent = instance->type.type.spec.persistent;
  std::vector<zk::OpResult> results;
  bool standing = false;
  try {
    std::vector<zk::Op> ops{zk::Op::remove(placeInQueue)};
    // Fenced by the name too: a host the monitor holder no longer names (cordoned, replaced)
    // does not register.
    if (named) ops.push_back(*named);
    if (persistent) {
      // A new identity: its record is made with its first registration, or not at all.
      context_.session()->ensurePath(layout.persistentServicesDir(id.logical.type));
      config::PersistentServiceData identity;
      identity.created = wallNowMs();
      ops.push_back(zk::Op::create(layout.persistentService(id.logical.type, id.uuid),
                                   config::encodePersistentServiceData(
                                       identityOf(*instance, identity))));
    }
    ops.push_back(zk::Op::create(physicalPath, config::encodePhysicalServiceData(data),
                                 zk::CreateMode::Ephemeral));
    const auto member = electionMemberOp(*instance);
    if (member) ops.push_back(*member);
    results = context_.session()->multi(ops);
    standing = member.has_value();
    if (persistent) context_.tree().invalidate(layout.persistentServicesDir(id.logical.type));
  } catch (const zk::ZkError& e) {
    spdlog::warn("could not register {}: {}", physicalPath, e.what());
    stop(id.uuid, "its registration failed");
    return false;
  }
  instance->registered = true;
  context_.tree().invalidate(layout.physicalServicesDir(id.logical));
  context_.tree().invalidate(layout.electionDir(id.logical));
  followOrServe(*instance, results, standing);
  recordEvent(*instance, config::event_kind::kPlaced,
              fmt::format("registered on {}{} (pid {})", context_.options.hostId,
                          survived ? " again after the session expired" : "", data.pid));
  spdlog::info("registered {}{} (pid {}, election {})", physicalPath,
               survived ? " again after the session expired" : "", data.pid,
               standing ? zk::nodeName(instance->electionNode) : "none: not eligible as master");
  return true;
}

void LocalInstances::rejoin(Instance& instance) {
  if (instance.pid == 0 || !instance.electionNode.empty()) return;
  if (!instance.registered) {
    // Its znode went while it restarted (removed by someone): nothing to rejoin with.
    stop(instance.id.uuid, "its physicalService znode is gone");
    return;
  }
  const auto& layout = context_.layout;
  const auto& id = instance.id;
  const auto physicalPath = layout.physicalService(id);
  std::vector<zk::OpResult> results;
  const auto member = electionMemberOp(instance);
  try {
    // The same znode gets the new pid, and a new member queues at the end of the failover chain.
    std::vector<zk::Op> ops{
        zk::Op::set(physicalPath, config::encodePhysicalServiceData(dataOf(instance)))};
    if (member) ops.push_back(*member);
    results = context_.session()->multi(ops);
  } catch (const zk::MultiError& e) {
    // Its znode is gone (removed by someone, or the session): not ours to serve any more.
    instance.registered = false;
    stop(id.uuid, fmt::format("it could not rejoin after its restart: {}", e.what()));
    return;
  } catch (const zk::ZkError& e) {
    if (e.isSessionLost()) return;  // orphanAll() follows
    // A connection loss: tick() tries again.
    spdlog::warn("could not register {} again after its restart yet: {}", physicalPath, e.what());
    return;
  }
  context_.tree().invalidate(physicalPath);
  context_.tree().invalidate(layout.electionDir(id.logical));
  followOrServe(instance, results, member.has_value());
  recordEvent(instance, config::event_kind::kRestarted,
              fmt::format("restarted in place (pid {})", instance.pid));
  spdlog::info("instance {} restarted in place (pid {}): election {}", id.uuid, instance.pid,
               member ? zk::nodeName(instance.electionNode) : "none: not eligible as master");
}

void LocalInstances::forgetElection(Instance& instance) {
  ++instance.registration;
  instance.candidacy.reset();
  instance.master = false;
  instance.electionNode.clear();
  instance.registered = false;
  instance.withdrawPending = false;  // the server removed its znodes with the session
  // Its node went with the old session; the recipe only forgets it.
  if (instance.election) instance.election->abandon();
  instance.election.reset();
}

void LocalInstances::withdrawElection(Instance& instance) {
  ++instance.registration;  // what its election says from now on is stale
  instance.master = false;
  instance.candidacy.reset();
  const auto node = std::exchange(instance.electionNode, {});
  if (!node.empty()) {
    try {
      // First: this delete is what the successor's watch waits for.
      context_.session()->remove(node);
    } catch (const zk::ZkError& e) {
      if (e.code() != zk::Code::NoNode && !e.isSessionLost()) {
        instance.electionNode = node;  // retried by tick()
        spdlog::warn("could not leave election {} yet: {}", node, e.what());
      }
    }
    context_.tree().invalidate(context_.layout.electionDir(instance.id.logical));
  }
  // The recipe must neither delete a node that might be someone else's nor wait for a connection.
  if (instance.election) instance.election->abandon();
  instance.election.reset();
  instance.withdrawPending = !instance.electionNode.empty() || instance.withdrawPending;
}

void LocalInstances::withdrawAll(Instance& instance) {
  withdrawElection(instance);  // first: the successor waits for this delete
  if (instance.registered) {
    const auto path = context_.layout.physicalService(instance.id);
    try {
      context_.session()->remove(path);
      instance.registered = false;
    } catch (const zk::ZkError& e) {
      // A lost session takes the node with it; a connection loss is retried by tick().
      if (e.code() == zk::Code::NoNode || e.isSessionLost()) {
        instance.registered = false;
      } else {
        spdlog::warn("could not withdraw {} yet: {}", path, e.what());
      }
    }
    context_.tree().invalidate(context_.layout.physicalServicesDir(instance.id.logical));
  }
  instance.withdrawPending = instance.registered || !instance.electionNode.empty();
}

// --- operations: switchover, drain, eligibility, pause ---

bool LocalInstances::requeue(const Requeue& requeue) {
  auto* instance = find(requeue.uuid);
  // Requeued already (its member is another now), or not serving: the next pass decides again.
  if (!instance || instance->phase != Phase::Running || instance->pid == 0 ||
      zk::nodeName(instance->electionNode) != requeue.member) {
    return false;
  }
  recordEvent(*instance, config::event_kind::kSwitchover,
              fmt::format("queues again at the end of its failover chain{}: {}",
                          instance->master ? " (master: role unknown first)" : "", requeue.reason));
  spdlog::info("instance {} of {} queues again at the end of its failover chain{}: {}",
               instance->id.uuid, context_.layout.logicalService(instance->id.logical),
               instance->master ? " (master: role unknown first)" : "", requeue.reason);
  // Demote before the member goes: its successor is told master at the delete's watch.
  if (instance->master || instance->told.role == services::Role::Master) {
    instance->master = false;
    tell(*instance, supervisor::RoleState{});
  }
  withdrawElection(*instance);
  if (!instance->electionNode.empty()) return false;  // not deleted yet: tick() retries
  return joinElection(*instance);
}

bool LocalInstances::joinElection(Instance& instance) {
  const auto member = electionMemberOp(instance);
  if (!member) return false;
  try {
    auto results = context_.session()->multi(
        {zk::Op::check(context_.layout.physicalService(instance.id), -1), *member});
    context_.tree().invalidate(context_.layout.electionDir(instance.id.logical));
    follow(instance, results.back().createdPath);
    return true;
  } catch (const zk::ZkError& e) {
    if (e.isSessionLost()) throw;
    // Its znode is gone (the plan stops it), or a connection loss: the next pass looks again.
    spdlog::warn("instance {} could not stand in its election again yet: {}", instance.id.uuid,
                 e.what());
    inbox_.wakeSoon();
    return false;
  }
}

void LocalInstances::enforceEligibility(const model::ClusterSnapshot& snapshot) {
  for (auto& [uuid, instancePtr] : instances_) {
    auto& instance = *instancePtr;
    if (instance.phase != Phase::Running || !instance.registered || instance.pid == 0) continue;
    const auto* type = snapshot.type(instance.id.logical.type);
    if (!type || !type->stored) continue;
    // The stored constraints rule (an apply may have changed them since the process started).
    instance.type.type.spec.constraints = type->stored->type.spec.constraints;
    const bool eligible = mayLead(instance);
    const bool standing = instance.election != nullptr || !instance.electionNode.empty();
    if (!eligible && standing) {
      spdlog::info("instance {} is no longer eligible as master: it leaves the election", uuid);
      if (instance.master || instance.told.role == services::Role::Master) {
        instance.master = false;
        tell(instance, supervisor::RoleState{});
      }
      withdrawElection(instance);
      tellSecondary(instance);
    } else if (eligible && !standing) {
      spdlog::info("instance {} is eligible as master now: it stands in the election", uuid);
      joinElection(instance);
    }
  }
}

void LocalInstances::setPausedTypes(std::set<std::string> types) {
  pausedTypes_ = std::move(types);
  // Level-triggered too: an exit handled before this daemon had seen the pause waits in its
  // restart backoff now, and is not restarted either.
  std::vector<std::string> waiting;
  for (const auto& [uuid, instance] : instances_) {
    if (instance->phase == Phase::Restarting && pausedTypes_.contains(instance->id.logical.type)) {
      waiting.push_back(uuid);
    }
  }
  for (const auto& uuid : waiting) stop(uuid, "its type is paused: not restarted");
}

void LocalInstances::stopKeepingIdentity(const std::string& uuid, const std::string& reason) {
  if (auto* instance = find(uuid)) markStopped(*instance);
  stop(uuid, reason);
}

// --- the loop's decisions ---

std::optional<std::string> LocalInstances::launch(const config::PhysicalServiceId& id,
                                                  const config::StoredServiceType& type) {
  return spawn(id, type);
}

std::optional<std::string> LocalInstances::resume(const config::PhysicalServiceId& id,
                                                  const config::StoredServiceType& type,
                                                  const model::PersistentServiceView& identity) {
  spdlog::info("starting persistent instance {} of {} again ({} here, data in {})", id.uuid,
               context_.layout.logicalService(id.logical),
               config::persistentStateName(identity.data->state), identity.data->dataDir);
  auto error = spawn(id, type);
  if (!error) find(id.uuid)->resumed = true;
  return error;
}

std::set<std::string> LocalInstances::uuids() const {
  std::set<std::string> result;
  for (const auto& [uuid, instance] : instances_) result.insert(uuid);
  return result;
}

void LocalInstances::registerIdentities(const model::ClusterSnapshot& snapshot) {
  const auto& layout = context_.layout;
  for (auto& [uuid, instancePtr] : instances_) {
    auto& instance = *instancePtr;
    const bool due = (instance.resumed && instance.phase == Phase::Starting) ||
                     (instance.phase == Phase::Survivor && instance.type.type.spec.persistent);
    if (!due || instance.pid == 0) continue;
    const auto& id = instance.id;
    const model::PersistentServiceView* identity = nullptr;
    for (const auto* candidate : snapshot.identitiesOf(id.logical)) {
      if (candidate->uuid == uuid) identity = candidate;
    }
    if (!identity || identity->data->host != context_.options.hostId ||
        identity->data->state == config::PersistentState::Abandoned ||
        identity->data->state == config::PersistentState::Purging) {
      // Abandoned (its host was gone too long) or forgotten meanwhile: not this host's to run.
      stop(uuid, "its persistent identity is no longer this host's to run");
      continue;
    }
    const auto identityPath = layout.persistentService(id.logical.type, uuid);
    const auto physicalPath = layout.physicalService(id);
    const bool survived = instance.phase == Phase::Survivor;
    std::vector<zk::OpResult> results;
    const auto member = electionMemberOp(instance);
    try {
      // Fenced on the version read: an identity abandoned or taken meanwhile is not registered.
      std::vector<zk::Op> ops{
          zk::Op::set(identityPath,
                      config::encodePersistentServiceData(identityOf(instance, *identity->data)),
                      identity->version),
          zk::Op::create(physicalPath, config::encodePhysicalServiceData(dataOf(instance)),
                         zk::CreateMode::Ephemeral)};
      if (member) ops.push_back(*member);
      results = context_.session()->multi(ops);
    } catch (const zk::MultiError& e) {
      context_.tree().invalidate(identityPath);
      context_.tree().invalidate(layout.physicalServicesDir(id.logical));
      if (e.failedIndex() == 0 && e.code() == zk::Code::BadVersion) {
        // Our view was older than the record: the next pass reads it again and decides.
        spdlog::info("persistent instance {}: its record changed meanwhile; reading it again",
                     uuid);
        inbox_.wakeSoon();
        continue;
      }
      stop(uuid, fmt::format("its registration under its persistent identity failed: {}",
                             e.what()));
      continue;
    } catch (const zk::ZkError& e) {
      if (e.isSessionLost()) throw;
      spdlog::warn("could not register persistent instance {} yet: {}", uuid, e.what());
      return;  // a connection loss: the next pass tries again
    }
    instance.resumed = false;
    instance.registered = true;
    context_.tree().invalidate(identityPath);
    context_.tree().invalidate(layout.physicalServicesDir(id.logical));
    context_.tree().invalidate(layout.electionDir(id.logical));
    followOrServe(instance, results, member.has_value());
    recordEvent(instance, config::event_kind::kPlaced,
                fmt::format("registered on {} under its persistent identity{} (pid {})",
                            context_.options.hostId,
                            survived ? " again after the session expired" : "", instance.pid));
    spdlog::info("registered {} under its persistent identity{} (pid {}, election {})",
                 physicalPath, survived ? " again after the session expired" : "", instance.pid,
                 member ? zk::nodeName(instance.electionNode) : "none: not eligible as master");
  }
}

std::optional<std::string> LocalInstances::spawn(const config::PhysicalServiceId& id,
                                                 const config::StoredServiceType& type) {
  std::string error;
  auto makeDirectory = [&error](const std::string& dir, std::string_view what) {
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) error = fmt::format("cannot create {}{}: {}", what, dir, ec.message());
    return !ec;
  };
  // A persistent instance's data directory is made at its first start and kept ever after.
  if (makeDirectory(instancesDir(context_.options), "") &&
      (!type.type.spec.persistent ||
       makeDirectory(persistentDataDir(context_.options, id), "the data directory "))) {
    auto instance = std::make_unique<Instance>();
    instance->id = id;
    instance->type = type;
    instances_.emplace(id.uuid, std::move(instance));
    // Its events wait in the inbox until the loop is back: nothing here waits for the process.
    if (!supervisor_->start(
            processSpecFor(type.type.spec, id, context_.layout, context_.options), &error)) {
      if (error.empty()) error = "the supervisor could not start it";
      instances_.erase(id.uuid);
    }
  }
  if (!error.empty()) {
    // Like an exit at start: backoff, then a cooldown that the type's status reports.
    failures_.recordExit(id.logical.type, type.type.spec.restart, wallNowMs(), error);
    return error;
  }
  return std::nullopt;
}

std::optional<config::PhysicalServiceId> LocalInstances::idOf(const std::string& uuid) const {
  const auto* instance = find(uuid);
  if (!instance) return std::nullopt;
  return instance->id;
}

LocalInstances::LaunchState LocalInstances::launchState(const std::string& uuid) const {
  const auto* instance = find(uuid);
  if (!instance || (instance->phase != Phase::Starting && instance->phase != Phase::Survivor)) {
    return LaunchState::Ended;
  }
  return instance->pid != 0 ? LaunchState::Running : LaunchState::Starting;
}

void LocalInstances::stop(const std::string& uuid, const std::string& reason) {
  auto* instance = find(uuid);
  if (!instance || instance->phase == Phase::Stopping || instance->phase == Phase::Gone) return;
  spdlog::info("stopping instance {} of {}: {}", uuid,
               context_.layout.logicalService(instance->id.logical), reason);
  apply(*instance, LifecycleEvent{Kind::StopRequested}, reason);
}

bool LocalInstances::stopping(const std::string& uuid) const {
  const auto* instance = find(uuid);
  return !instance || instance->phase == Phase::Stopping || instance->phase == Phase::Gone;
}

void LocalInstances::update(const std::string& uuid, const config::PhysicalServiceData& data) {
  auto* instance = find(uuid);
  if (!instance) return;
  const auto path = context_.layout.physicalService(instance->id);
  try {
    context_.session()->set(path, config::encodePhysicalServiceData(data));
    context_.tree().invalidate(path);
  } catch (const zk::ZkError& e) {
    if (e.code() != zk::Code::NoNode) throw;  // gone: the next pass stops the instance
  }
}

void LocalInstances::rewrite(const std::string& uuid) {
  const auto* instance = find(uuid);
  if (!instance) return;
  spdlog::warn("rewriting {}: its data could not be read",
               context_.layout.physicalService(instance->id));
  update(uuid, dataOf(*instance));
}

void LocalInstances::followMasters(const model::ClusterSnapshot& snapshot) {
  for (auto& [uuid, instancePtr] : instances_) {
    auto& instance = *instancePtr;
    if (instance.phase != Phase::Running) continue;
    const auto* logical = snapshot.logical(instance.id.logical);
    if (!logical) continue;
    // A new or lost peer, and a new master to follow, are told in one write of the role file.
    bool peersChanged = false;
    if (auto peers = peerEndpoints(snapshot, instance.id.logical); peers != instance.peers) {
      instance.peers = std::move(peers);
      peersChanged = true;
    }
    auto state = instance.told;
    const bool masterChanged = followMaster(instance, *logical, snapshot, state);
    if (peersChanged || masterChanged) tell(instance, state);
  }
}

bool LocalInstances::followMaster(Instance& instance, const model::LogicalServiceView& logical,
                                  const model::ClusterSnapshot& snapshot,
                                  supervisor::RoleState& state) {
  if (logical.election.empty()) return false;
  const auto& first = logical.election.front();
  // Our candidate may stand right behind it now (the one between has gone): then the master's
  // end makes ours master at its watch, without a read on the failover's path.
  if (instance.election) instance.election->noteMaster(first.name);
  if (!first.data || first.data->physical == instance.id.uuid) return false;
  // spec.promotion: a first member still asking for scores (or holding) is nobody's master yet;
  // its secondaries keep following the old one until it was told master.
  if (promotes(instance) && !first.data->master) return false;
  // An older view of the tree must not take a secondary back to an older master.
  if (first.sequence < instance.masterEpoch) return false;
  const auto physical = logical.physical.find(first.data->physical);
  const bool known = physical != logical.physical.end() && physical->second.data;
  const auto address = known ? serviceAddress(snapshot, *physical->second.data)
                             : hostAddress(snapshot, first.data->host);
  nlohmann::json peer = {
      {"uuid", first.data->physical}, {"host", first.data->host}, {"address", address}};
  if (known) {
    peer["pid"] = physical->second.data->pid;
    peer["ports"] = physical->second.data->ports;
    peer["endpoints"] = endpointsAt(address, physical->second.data->ports);
  }
  instance.masterEpoch = first.sequence;
  instance.masterPeer = peer;
  if (instance.told.role != services::Role::Secondary || instance.master) return false;
  if (instance.told.epoch == first.sequence && instance.told.masterPeer == peer) return false;
  state.epoch = first.sequence;
  state.masterPeer = peer;
  return true;
}

void LocalInstances::tick(std::int64_t nowMs) {
  const auto now = std::chrono::steady_clock::now();
  const bool survivorsDue = survivorDeadline_ && now >= *survivorDeadline_;
  bool anyRegistered = false;
  for (auto it = instances_.begin(); it != instances_.end();) {
    auto& instance = *it->second;
    if (instance.pid != 0 && !instance.steadyRecorded && nowMs - instance.startedMs >= kSteadyRunMs) {
      instance.steadyRecorded = true;
      failures_.recordSteady(instance.id.logical.type);
    }
    if (instance.withdrawPending) {
      if (instance.phase == Phase::Stopping || instance.phase == Phase::Gone) {
        withdrawAll(instance);
      } else {
        instance.withdrawPending = false;  // only its election member was to go
        withdrawElection(instance);
      }
    }
    if (instance.phase == Phase::Restarting) rejoin(instance);
    if (survivorsDue && instance.phase == Phase::Survivor) {
      stop(instance.id.uuid, "survivor of an expired session: not registered again in time");
    }
    if (instance.phase == Phase::Gone && !instance.withdrawPending) {
      it = instances_.erase(it);
      continue;
    }
    anyRegistered = anyRegistered || instance.registered;
    ++it;
  }
  renewer_.setActive(anyRegistered);
}

std::vector<LocalInstanceView> LocalInstances::views() const {
  std::vector<LocalInstanceView> result;
  for (const auto& [uuid, instance] : instances_) {
    if (instance->phase == Phase::Stopping || instance->phase == Phase::Gone) continue;
    LocalInstanceView view;
    view.id = instance->id;
    view.spec = instance->type.type.spec;
    view.restartedAt = instance->type.restartedAt;
    view.registered = instance->registered;
    view.ready = instance->ready;
    view.phase = instance->phase;
    view.pid = instance->pid;
    result.push_back(std::move(view));
  }
  return result;
}

std::vector<observe::ObservedInstance> LocalInstances::observe() const {
  std::vector<observe::ObservedInstance> result;
  result.reserve(instances_.size());
  // The supervisor's log files (process_template.hpp), named without asking its thread.
  const auto logDir = instancesDir(context_.options) + "/";
  for (const auto& [uuid, instance] : instances_) {
    observe::ObservedInstance view;
    view.uuid = uuid;
    view.type = instance->id.logical.type;
    view.logical = config::Layout::logicalServiceName(instance->id.logical.sequence);
    view.phase = phaseName(instance->phase);
    view.role = services::roleName(instance->told.role);
    view.epoch = instance->told.epoch;
    view.leaseUntilMonoNs = instance->told.leaseUntilMonoNs;
    view.pid = instance->pid;
    view.ready = instance->ready;
    view.registered = instance->registered;
    view.ports = instance->ports;
    view.stdoutLog = logDir + uuid + ".stdout.log";
    view.stderrLog = logDir + uuid + ".stderr.log";
    result.push_back(std::move(view));
  }
  return result;
}

std::int64_t LocalInstances::runningCount() const {
  std::int64_t count = 0;
  for (const auto& [uuid, instance] : instances_) {
    // A stopping process still runs until its Stopped: a drain waits for it too.
    count += instance->phase == Phase::Gone ? 0 : 1;
  }
  return count;
}

void LocalInstances::markStopped(Instance& instance) {
  if (!instance.type.type.spec.persistent || !instance.registered) return;
  const auto path = context_.layout.persistentService(instance.id.logical.type, instance.id.uuid);
  try {
    auto node = context_.session()->get(path);
    if (!node) return;
    auto data = config::decodePersistentServiceData(node->data, path);
    if (!data || data.value().host != context_.options.hostId) return;
    auto stopped = data.value();
    stopped.state = config::PersistentState::Stopped;
    stopped.lastStopped = wallNowMs();
    context_.session()->set(path, config::encodePersistentServiceData(stopped), node->stat.version);
  } catch (const zk::ZkError& e) {
    // It stays "running": this host starts it again all the same.
    spdlog::warn("could not mark {} stopped: {}", path, e.what());
  }
}

void LocalInstances::stopAll() {
  // A graceful stop closes the session itself; a death during it just waits for the expiry.
  supervisor_->setLastWill(std::nullopt);
  // Persistent identities say they were stopped on purpose, while the session can still write.
  if (!cutOff_) {
    for (auto& [uuid, instance] : instances_) markStopped(*instance);
  }
  // Masters first: each hands over (unknown, withdrawn) before any secondary leaves the chain.
  for (const bool masters : {true, false}) {
    std::vector<std::string> uuids;
    for (const auto& [uuid, instance] : instances_) {
      if (instance->master == masters) uuids.push_back(uuid);
    }
    for (const auto& uuid : uuids) {
      stop(uuid, masters ? "the manager is stopping (master hands over)"
                         : "the manager is stopping");
    }
  }
  supervisor_->stopAll();
  // Before the session closes: the renewals use it.
  renewer_.stop();
  instances_.clear();
}

void LocalInstances::orphanAll() {
  survivorDeadline_.reset();
  for (auto& [uuid, instance] : instances_) {
    const auto before = instance->phase;
    apply(*instance, LifecycleEvent{Kind::SessionExpired}, "the session expired");
    if (before != Phase::Gone && before != Phase::Stopping) {
      spdlog::warn("instance {} of {} lost its registration with the session: role unknown", uuid,
                   context_.layout.logicalService(instance->id.logical));
    }
    // Whatever its phase: the server removed its znodes with the session.
    instance->registered = false;
    instance->withdrawPending = false;
    instance->electionNode.clear();
  }
}

void LocalInstances::setSurvivorDeadline(std::chrono::steady_clock::time_point deadline) {
  survivorDeadline_ = deadline;
}

void LocalInstances::stopSurvivors(const std::string& reason) {
  std::vector<std::string> survivors;
  for (const auto& [uuid, instance] : instances_) {
    if (instance->phase == Phase::Survivor) survivors.push_back(uuid);
  }
  for (const auto& uuid : survivors) stop(uuid, "survivor of an expired session: " + reason);
}

std::optional<std::chrono::steady_clock::time_point> LocalInstances::survivorDeadline() const {
  for (const auto& [uuid, instance] : instances_) {
    if (instance->phase == Phase::Survivor) return survivorDeadline_;
  }
  return std::nullopt;
}

std::set<config::LogicalServiceId> LocalInstances::logicalServices() const {
  std::set<config::LogicalServiceId> result;
  for (const auto& [uuid, instance] : instances_) result.insert(instance->id.logical);
  return result;
}

std::vector<config::PhysicalServiceId> LocalInstances::survivors() const {
  std::vector<config::PhysicalServiceId> result;
  for (const auto& [uuid, instance] : instances_) {
    if (instance->phase == Phase::Survivor && instance->pid != 0 &&
        !instance->type.type.spec.persistent) {
      result.push_back(instance->id);
    }
  }
  return result;
}

std::optional<config::PhysicalServiceId> LocalInstances::survivorOf(
    const config::LogicalServiceId& logical) const {
  for (const auto& [uuid, instance] : instances_) {
    // A persistent survivor is registered again under its identity (registerIdentities), never
    // through the create-lock.
    if (instance->phase == Phase::Survivor && instance->pid != 0 &&
        instance->id.logical == logical && !instance->type.type.spec.persistent) {
      return instance->id;
    }
  }
  return std::nullopt;
}

}  // namespace sm::daemon

#include "manager/daemon/state_publisher.hpp"

#include "config/layout.hpp"
#include "manager/zk/types.hpp"

namespace sm::daemon {

namespace {
const std::string* electedUuid(const LoopEvent& event) {
  const auto* election = std::get_if<ElectionEvent>(&event);
  return election && election->kind == ElectionEvent::Kind::Master ? &election->uuid : nullptr;
}

std::optional<std::string> roleOf(const LocalInstances& instances, const std::string& uuid) {
  for (const auto& i : instances.observe()) {
    if (i.uuid == uuid) return i.role;
  }
  return std::nullopt;
}
}  // namespace

StatePublisher::StatePublisher(DaemonContext& context, observe::StateBoard& board)
    : context_(context), board_(board) {
  state_.hostId = context.options.hostId;
}

std::string StatePublisher::typeOf(const std::string& uuid) const {
  auto it = typeByUuid_.find(uuid);
  return it == typeByUuid_.end() ? "unknown" : it->second;
}

void StatePublisher::beforeEvent(const LoopEvent& event, const LocalInstances&) {
  // A map lookup only: this runs ahead of the handling that tells a new master.
  roleBefore_.reset();
  if (const auto* uuid = electedUuid(event)) {
    if (auto it = toldRole_.find(*uuid); it != toldRole_.end()) roleBefore_ = it->second;
  }
}

void StatePublisher::afterEvent(const LoopEvent& event, const LocalInstances& instances) {
  if (const auto* election = std::get_if<ElectionEvent>(&event)) {
    const auto role = roleOf(instances, election->uuid);
    if (role) toldRole_[election->uuid] = *role;
    // A secondary that is now told master: its predecessor went. A first master (no
    // predecessor) or a repeated notice is no failover.
    if (election->kind == ElectionEvent::Kind::Master && roleBefore_ == "secondary" &&
        role == "master") {
      state_.failoverSeconds.observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - election->at).count());
    }
    return;
  }
  const auto* process = std::get_if<ProcessEvent>(&event);
  if (!process) return;
  using Kind = supervisor::InstanceEvent::Kind;
  switch (process->event.kind) {
    case Kind::RestartScheduled:
      ++state_.restartsByType[typeOf(process->event.instanceId)];
      break;
    case Kind::Unhealthy:
      ++state_.healthCheckFailuresByType[typeOf(process->event.instanceId)];
      break;
    case Kind::Failed:
      if (process->event.crashLoop) ++state_.crashLoopsByType[typeOf(process->event.instanceId)];
      break;
    default:
      break;
  }
}

void StatePublisher::passDone(std::chrono::steady_clock::duration took,
                              const model::ClusterSnapshot& snapshot) {
  state_.reconcilePassSeconds.observe(std::chrono::duration<double>(took).count());
  state_.logicalServices.clear();
  for (const auto& [name, type] : snapshot.types) {
    for (const auto& [sequence, logical] : type.logical) {
      state_.logicalServices.push_back({name, config::Layout::logicalServiceName(sequence)});
    }
  }
}

void StatePublisher::publish(const LocalInstances& instances) {
  state_.instances = instances.observe();
  toldRole_.clear();
  for (const auto& i : state_.instances) {
    typeByUuid_[i.uuid] = i.type;
    toldRole_[i.uuid] = i.role;
  }
  if (typeByUuid_.size() > 4 * state_.instances.size() + 64) {
    // Forgets instances long gone (their late events count as "unknown" at worst).
    typeByUuid_.clear();
    for (const auto& i : state_.instances) typeByUuid_[i.uuid] = i.type;
  }
  const auto session = context_.session();
  const auto sessionState = session ? session->state() : zk::SessionState::Connecting;
  state_.zkSessionState = zk::toString(sessionState);
  state_.zkConnected = sessionState == zk::SessionState::Connected;
  state_.zkRequests = zk::requestCounts();
  state_.eventsWritten = context_.events.written();
  state_.eventsDropped = context_.events.dropped();
  state_.eventsPending = context_.events.pending();
  state_.publishedAt = std::chrono::steady_clock::now();
  board_.publish(std::make_shared<const observe::ObservedState>(state_));
}

}  // namespace sm::daemon

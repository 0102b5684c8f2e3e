#include "manager/daemon/placer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "config/lock_contender_data.hpp"
#include "manager/daemon/placement/placement.hpp"
#include "manager/daemon/reconcile/contention_plan.hpp"
#include "manager/daemon/reconcile/holder_decision.hpp"
#include "manager/daemon/reconcile/drain_plan.hpp"
#include "manager/daemon/reconcile/persistent_plan.hpp"
#include "manager/zk/error.hpp"
#include "manager/zk/queue_destroy.hpp"
#include "manager/zk/uuid.hpp"

namespace sm::daemon {

namespace {
// A launched process that does not run by then is stopped, and the lock released.
constexpr std::chrono::milliseconds kStartTimeout{5000};
// After declining, this host does not queue for that logical service again for this long (the
// monitor holder, reading the same tree, withdraws its name and names another host).
constexpr std::chrono::milliseconds kDeclinedPause{1000};
// Logical services this host places into at once (queued, starting or registering). Each takes
// a few passes (queue, start, register) and waits in its create-lock for the other hosts named
// for it; one at a time, a host named for hundreds would take hundreds of rounds of passes. They
// are different logical services, so no choice here depends on another's (the monitor holder
// already spread them; the host's own checks are per logical service or on metrics that a start
// does not move at once). 1,000 x 3 on 10 daemons sharing 2 cores converged in 36-38 s with 16,
// 26-32 s with 48: the cores are then busy all along (96 on every host: slower again).
constexpr std::size_t kMaxInFlight = 48;
// The same on a manager whose passes read a type whole (it holds the type's config monitor):
// those passes took 1-2.5 s while the others placed, and the holder's host finished 2-3.5 s after
// every other; with twice as many in flight it finishes with them (docs/scaling.md).
constexpr std::size_t kMaxInFlightLongPasses = 2 * kMaxInFlight;
}  // namespace

Placer::Placer(DaemonContext& context, LocalInstances& instances)
    : context_(context), instances_(instances) {}

Placer::~Placer() {
  forgetAll();
}

std::shared_ptr<zk::QueueMember> Placer::newMember(const config::LogicalServiceId& id,
                                                   Contender& contender,
                                                   const model::ClusterSnapshot& snapshot) {
  zk::QueueMember::Listener listener;
  listener.onLost = [this](zk::LossReason) { context_.wake(); };
  listener.onState = [this](zk::QueueMember::State state) {
    if (state == zk::QueueMember::State::Held) context_.wake();
  };
  contender.named = namedCheck(id, snapshot);
  return zk::QueueMember::make(
      context_.session(), context_.layout.createPhysicalServiceLock(id),
      std::string(config::Layout::kLockChildPrefix),
      config::encodeLockContenderData({context_.options.hostId, std::nullopt}), listener);
}

void Placer::enqueue(const std::vector<config::LogicalServiceId>& ids,
                     const model::ClusterSnapshot& snapshot) {
  std::vector<std::shared_ptr<zk::QueueMember>> members;
  for (const auto& id : ids) {
    auto& contender = contenders_.at(id);
    contender.member = newMember(id, contender, snapshot);
    members.push_back(contender.member);
  }
  // Their places made in one round trip; each place's position then wakes the loop.
  try {
    zk::QueueMember::enterAll(members);
  } catch (const zk::ZkError& e) {
    if (e.isConnectionLoss() || e.isSessionLost()) {
      forgetInactive(ids);
      throw;
    }
    spdlog::warn("queueing for {} create-locks failed: {}", ids.size(), e.what());
  }
  watchLockCreations(forgetInactive(ids));
  for (const auto& id : ids) {
    if (contenders_.contains(id)) {
      spdlog::debug("queued for {}", context_.layout.createPhysicalServiceLock(id));
    }
  }
}

std::vector<config::LogicalServiceId> Placer::forgetInactive(
    const std::vector<config::LogicalServiceId>& ids) {
  // Not in its queue: the lock is not there (or the session went).
  std::vector<config::LogicalServiceId> forgotten;
  for (const auto& id : ids) {
    const auto it = contenders_.find(id);
    if (it != contenders_.end() && it->second.member && !it->second.member->active()) {
      contenders_.erase(it);
      forgotten.push_back(id);
    }
  }
  return forgotten;
}

void Placer::watchLockCreations(const std::vector<config::LogicalServiceId>& ids) {
  // The type's monitor holder makes the lock once it sees the logical service short. A name
  // that came back to life (its replica went; docs/daemon.md) is not written again, so this host
  // may try before the lock is made, and nothing it reads would tell it when it is.
  auto session = context_.session();
  const auto wake = context_.wake;
  for (const auto& id : ids) {
    zk::EarlyWatcher made{[wake](const zk::WatchEvent&) { wake(); }};
    if (session->exists(context_.layout.createPhysicalServiceLock(id), std::move(made))) wake();
  }
}

std::map<config::LogicalServiceId, Contention> Placer::wanted(
    const model::ClusterSnapshot& snapshot, std::int64_t nowMs) const {
  std::map<config::LogicalServiceId, Contention> result;
  auto& failures = instances_.failures();
  for (const auto& c : planContention(snapshot, context_.options.hostId)) {
    if (failures.mayStart(c.logical.type, nowMs)) result.emplace(c.logical, c);
  }
  // A survivor of an expired session is already running: it queues at once, and only its time
  // to be registered again bounds how long it may wait. No one names it: only this host knows.
  for (const auto& survivor : instances_.survivors()) {
    const auto* type = snapshot.type(survivor.logical.type);
    const auto* logical = snapshot.logical(survivor.logical);
    if (!type || !type->stored || !logical) continue;
    if (missingReplicas(snapshot, *type, *logical) <= 0)
      continue;
    result.insert_or_assign(logical->id, Contention{logical->id, std::chrono::milliseconds(0)});
  }
  return result;
}

std::optional<std::chrono::steady_clock::time_point> Placer::reconcile(
    const model::ClusterSnapshot& snapshot, std::int64_t nowMs, bool longPasses) {
  const auto now = std::chrono::steady_clock::now();
  const auto maxInFlight = longPasses ? kMaxInFlightLongPasses : kMaxInFlight;
  auto wanted = this->wanted(snapshot, nowMs);
  // Queues no longer worth being in (full, infeasible now, lock gone).
  for (auto it = contenders_.begin(); it != contenders_.end();) {
    auto& contender = it->second;
    const bool lost = contender.member && !contender.member->active();
    if ((!wanted.contains(it->first) && !contender.launched) || lost) {
      if (contender.launched) {
        instances_.stop(contender.launched->uuid, "its create-lock went before it was registered");
      }
      if (contender.member && !lost) contender.member->leave();
      it = contenders_.erase(it);
    } else {
      // Named still (its node rewritten for others, say): the registration checks this version.
      if (auto named = namedCheck(it->first, snapshot)) contender.named = std::move(named);
      ++it;
    }
  }
  std::optional<std::chrono::steady_clock::time_point> next;
  auto later = [&](std::chrono::steady_clock::time_point t) {
    if (!next || t < *next) next = t;
  };
  // Each queued contender that holds its lock takes its next step: decide and start, or register
  // what started. One that waits for its position or its process is woken by that event.
  std::size_t inFlight = 0;
  auto registered = registeredOfHeld();
  for (auto& [id, contender] : contenders_) {
    if (!contender.member) continue;
    // Held once first and sure of it (not while the connection is down): that wakes the loop.
    // (One held only since the reads above is taken by the pass its Held state wakes.)
    const auto checked = registered.find(id);
    if (contender.member->held() && (contender.launched || checked != registered.end())) {
      const auto step = contender.launched
                            ? registerLaunched(id, contender)
                            : hold(id, contender, snapshot, nowMs, checked->second);
      if (step == Step::Waiting) later(contender.launchDeadline);  // or its start wakes the loop
      // The snapshot does not show it yet: not this logical service again in this pass (the next
      // pass reads its replica, and its name is spent).
      if (step == Step::Placed) wanted.erase(id);
    }
    if (contender.member) ++inFlight;
  }
  // Then due contentions join their queues, up to maxInFlight at once, in an order of this
  // host's own, so that hosts named for the same logical services start on different ones and
  // place in parallel instead of queueing behind each other. (A second replica on this host
  // waits its delay.)
  std::vector<std::pair<std::uint64_t, config::LogicalServiceId>> due;
  for (const auto& [id, contention] : wanted) {
    auto [it, added] = contenders_.try_emplace(id);
    if (added) it->second.firstSeen = now;
    if (it->second.member) continue;
    const auto at = std::max(it->second.firstSeen + contention.delay, it->second.notBefore);
    if (at > now) {
      later(at);
      continue;
    }
    due.emplace_back(
        placement::stableHash({id.type, std::to_string(id.sequence), context_.options.hostId}),
        id);
  }
  std::sort(due.begin(), due.end());
  std::vector<config::LogicalServiceId> joining;
  for (const auto& [order, id] : due) {
    if (inFlight + joining.size() >= maxInFlight) break;
    joining.push_back(id);
  }
  if (!joining.empty()) enqueue(joining, snapshot);
  return next;
}

std::map<config::LogicalServiceId, std::optional<std::vector<std::string>>>
Placer::registeredOfHeld() {
  auto session = context_.session();
  const auto connection = session->connection();
  std::vector<config::LogicalServiceId> held;
  std::vector<zk::Session::Read> reads;
  // Whether every holder learned that it holds over this very connection, or from a read: then
  // the server these reads go to has applied its predecessor's departure, and with it every
  // registration made under the lock before (a registration removes its place in the same
  // transaction), so no sync() is needed.
  bool sameServer = true;
  for (const auto& [id, contender] : contenders_) {
    if (!contender.member || !contender.member->held() || contender.launched) continue;
    held.push_back(id);
    reads.push_back({context_.layout.physicalServicesDir(id), true, {}});
    const auto toldBy = contender.member->heldThrough();
    if (toldBy != 0 && toldBy != connection) sameServer = false;
  }
  std::map<config::LogicalServiceId, std::optional<std::vector<std::string>>> registered;
  if (held.empty()) return registered;
  // Else (a reconnect since, maybe to a server that lags) one sync serves every read behind it:
  // a session's requests are answered in order.
  if (!sameServer) session->sync(reads.front().path);
  auto answers = session->readMany(reads);
  if (sameServer && session->connection() != connection) {
    // Reconnected while reading: some answers may come from another server.
    session->sync(reads.front().path);
    answers = session->readMany(reads);
  }
  for (std::size_t i = 0; i < held.size(); ++i) {
    auto& answer = answers[i];
    if (answer.code != zk::Code::Ok && answer.code != zk::Code::NoNode) {
      throw zk::ZkError(answer.code, "children", context_.layout.physicalServicesDir(held[i]));
    }
    registered.emplace(held[i], std::move(answer.names));
  }
  return registered;
}

std::optional<zk::Op> Placer::namedCheck(const config::LogicalServiceId& id,
                                         const model::ClusterSnapshot& snapshot) const {
  const auto& host = context_.options.hostId;
  const auto* node = snapshot.assignmentsNodeOf(host, id.type);
  if (!node || !snapshot.assignmentOf(id, host)) return std::nullopt;
  return zk::Op::check(context_.layout.assignments(host, id.type), node->version);
}

void Placer::release(Contender& contender, std::chrono::steady_clock::time_point notBefore,
                     bool placeTaken) {
  // A registration removed our place in its multi(): leaving would ask the server for nothing.
  if (contender.member) placeTaken ? contender.member->abandon() : contender.member->leave();
  contender.member.reset();
  contender.launched.reset();
  contender.named.reset();
  contender.firstSeen = std::chrono::steady_clock::now();
  contender.notBefore = notBefore;
}

Placer::Step Placer::hold(const config::LogicalServiceId& id, Contender& contender,
                          const model::ClusterSnapshot& snapshot, std::int64_t nowMs,
                          const std::optional<std::vector<std::string>>& registered) {
  const auto& layout = context_.layout;
  const auto now = std::chrono::steady_clock::now();
  std::int64_t occupied = -1;
  if (registered) {
    std::set<std::string> uuids;
    for (const auto& name : *registered) {
      if (auto uuid = config::Layout::parsePhysicalServiceName(name)) uuids.insert(*uuid);
    }
    occupied = occupiedReplicas(snapshot, id, uuids);
  }
  const auto survivor = instances_.survivorOf(id);
  const auto decision = decideAsHolder({snapshot, id, context_.options.hostId, nowMs, occupied});
  if (decision.kind == HolderDecision::Kind::Release) {
    spdlog::debug("not placing {} here: {}", layout.logicalService(id), decision.reason);
    // Not again at once: the monitor holder, reading the same tree, withdraws the name.
    release(contender, now + kDeclinedPause);
    return Step::Done;
  }
  if (survivor) {
    // Nothing to start: the process outlived its registration.
    const bool ok =
        instances_.registerInstance(*survivor, contender.member->nodePath(), contender.named);
    if (ok) recordPlaced(id, decision.lastReplica);
    release(contender, now, ok);
    return ok ? Step::Placed : Step::Done;
  }
  const auto* type = snapshot.type(id.type);
  const config::PhysicalServiceId physical{id, zk::newUuid()};
  if (auto error = instances_.launch(physical, *type->stored)) {
    spdlog::warn("could not start an instance of {}: {}", layout.logicalService(id), *error);
    release(contender, now);
    return Step::Done;
  }
  contender.launched = physical;
  contender.launchDeadline = now + kStartTimeout;
  contender.fills = decision.lastReplica;
  return Step::Waiting;
}

Placer::Step Placer::registerLaunched(const config::LogicalServiceId& id, Contender& contender) {
  const auto physical = *contender.launched;
  const auto now = std::chrono::steady_clock::now();
  switch (instances_.launchState(physical.uuid)) {
    case LocalInstances::LaunchState::Starting:
      if (now < contender.launchDeadline) return Step::Waiting;
      instances_.stop(physical.uuid,
                      fmt::format("it did not start within {} ms", kStartTimeout.count()));
      release(contender, now);
      return Step::Done;
    case LocalInstances::LaunchState::Ended:
      release(contender, now);
      return Step::Done;
    case LocalInstances::LaunchState::Running:
      break;
  }
  const bool ok =
      instances_.registerInstance(physical, contender.member->nodePath(), contender.named);
  if (ok) recordPlaced(id, contender.fills);
  release(contender, now, ok);
  return ok ? Step::Placed : Step::Done;
}

void Placer::recordPlaced(const config::LogicalServiceId& id, bool fills) {
  if (fills) {
    zk::destroyQueue(*context_.session(), context_.layout.createPhysicalServiceLock(id));
    context_.tree().invalidate(context_.layout.createPhysicalServiceLocksDir());
  }
}

std::set<config::LogicalServiceId> Placer::contending() const {
  std::set<config::LogicalServiceId> ids;
  for (const auto& [id, contender] : contenders_) ids.insert(id);
  return ids;
}

void Placer::leaveAll() {
  for (auto& [id, contender] : contenders_) {
    if (contender.member) contender.member->leave();
  }
  contenders_.clear();
}

void Placer::forgetAll() {
  contenders_.clear();
}

}  // namespace sm::daemon

#include "manager/daemon/placer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "config/lock_contender_data.hpp"
#include "manager/daemon/reconcile/contention_plan.hpp"
#include "manager/daemon/reconcile/holder_decision.hpp"
#include "manager/daemon/reconcile/persistent_plan.hpp"
#include "manager/zk/error.hpp"
#include "manager/zk/queue_destroy.hpp"
#include "manager/zk/uuid.hpp"

namespace sm::daemon {

namespace {
// A launched process that does not run by then is stopped, and the lock released.
constexpr std::chrono::milliseconds kStartTimeout{5000};
}  // namespace

Placer::Placer(DaemonContext& context, LocalInstances& instances)
    : context_(context), instances_(instances) {}

Placer::~Placer() {
  forgetAll();
}

void Placer::enqueue(const config::LogicalServiceId& id, Contender& contender,
                     const Contention& contention) {
  contender.queuedRank = contention.rank;
  zk::QueueMember::Listener listener;
  listener.onLost = [this](zk::LossReason) { context_.wake(); };
  listener.onState = [this](zk::QueueMember::State state) {
    if (state == zk::QueueMember::State::Held) context_.wake();
  };
  contender.member = zk::QueueMember::make(
      context_.session(), context_.layout.createPhysicalServiceLock(id),
      std::string(config::Layout::kLockChildPrefix),
      config::encodeLockContenderData({context_.options.hostId, contention.score}), listener);
  contender.member->enter();
  spdlog::debug("queued for {}", context_.layout.createPhysicalServiceLock(id));
}

std::optional<std::chrono::steady_clock::time_point> Placer::reconcile(
    const model::ClusterSnapshot& snapshot, std::int64_t nowMs) {
  const auto now = std::chrono::steady_clock::now();
  auto& failures = instances_.failures();
  auto plan = [&](const model::ClusterSnapshot& view) {
    std::map<config::LogicalServiceId, Contention> wanted;
    for (auto& c : planContention(view, context_.options.hostId, nowMs)) {
      // A survivor of an expired session is already running: it queues at once, and only its
      // time to be registered again bounds how long it may wait.
      if (instances_.survivorOf(c.logical)) {
        c.delay = std::chrono::milliseconds(0);
      } else if (!failures.mayStart(c.logical.type, nowMs)) {
        continue;
      }
      wanted.emplace(c.logical, c);
    }
    return wanted;
  };
  auto wanted = plan(snapshot);
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
      ++it;
    }
  }
  model::ClusterSnapshot working = snapshot;
  std::optional<std::chrono::steady_clock::time_point> next;
  // Bounded: it takes a few rounds (queue, hold, register) per instance.
  const std::size_t rounds = 3 * wanted.size() + 3;
  for (std::size_t round = 0; round < rounds; ++round) {
    auto queued = std::find_if(contenders_.begin(), contenders_.end(),
                               [](const auto& item) { return item.second.member != nullptr; });
    if (queued != contenders_.end()) {
      auto& [id, contender] = *queued;
      // Held once first and sure of it (not while the connection is down): that wakes the loop.
      if (!contender.member->held()) return std::nullopt;
      const auto step = contender.launched ? registerLaunched(id, contender, working, nowMs)
                                           : hold(id, contender, working, nowMs);
      if (step == Step::Waiting) return contender.launchDeadline;  // or its start wakes the loop
      if (step == Step::Placed) wanted = plan(working);
      continue;
    }
    // Next: the best due contention (rank 0 at once; others after their rank's delay).
    const Contention* best = nullptr;
    for (const auto& [id, contention] : wanted) {
      auto [it, added] = contenders_.try_emplace(id);
      if (added) it->second.firstSeen = now;
      const auto due = std::max(it->second.firstSeen + contention.delay, it->second.notBefore);
      if (due > now) {
        if (!next || due < *next) next = due;
        continue;
      }
      if (!best || contention.score < best->score) best = &contention;
    }
    if (!best) return next;
    auto& contender = contenders_.at(best->logical);
    try {
      enqueue(best->logical, contender, *best);
    } catch (const zk::ZkError& e) {
      if (e.isConnectionLoss() || e.isSessionLost()) throw;
      contenders_.erase(best->logical);  // the lock went meanwhile
      continue;
    }
    return next;  // its position wakes the loop
  }
  return next;
}

void Placer::release(Contender& contender, std::chrono::steady_clock::time_point notBefore) {
  if (contender.member) contender.member->leave();
  contender.member.reset();
  contender.launched.reset();
  contender.firstSeen = std::chrono::steady_clock::now();
  contender.notBefore = notBefore;
}

Placer::Step Placer::hold(const config::LogicalServiceId& id, Contender& contender,
                          model::ClusterSnapshot& working, std::int64_t nowMs) {
  auto session = context_.session();
  const auto& layout = context_.layout;
  const auto now = std::chrono::steady_clock::now();
  // Check again, against the server and this pass's own placements, before starting anything.
  const auto physicalDir = layout.physicalServicesDir(id);
  session->sync(physicalDir);
  const auto registered = session->children(physicalDir);
  std::int64_t occupied = -1;
  if (registered) {
    std::set<std::string> uuids;
    for (const auto& name : *registered) {
      if (auto uuid = config::Layout::parsePhysicalServiceName(name)) uuids.insert(*uuid);
    }
    occupied = occupiedReplicas(working, id, uuids);
  }
  const auto survivor = instances_.survivorOf(id);
  const auto decision =
      decideAsHolder({working, id, context_.options.hostId, nowMs, occupied, contender.queuedRank,
                      contender.yielded, survivor.has_value()});
  switch (decision.kind) {
    case HolderDecision::Kind::Release:
      spdlog::debug("not placing {} here: {}", layout.logicalService(id), decision.reason);
      release(contender, now);
      return Step::Done;
    case HolderDecision::Kind::Yield:
      // Say we placed elsewhere meanwhile: give the better host the time its rank gives it, once;
      // after that, place anyway (it may be dead or stuck).
      spdlog::debug("yielding {}: {}", layout.createPhysicalServiceLock(id), decision.reason);
      contender.yielded = true;
      release(contender, now + decision.delay);
      return Step::Done;
    case HolderDecision::Kind::Place:
      break;
  }
  if (survivor) {
    // Nothing to start: the process outlived its registration.
    const bool ok = instances_.registerInstance(*survivor, contender.member->nodePath());
    if (ok) recordPlaced(id, *survivor, decision.lastReplica, working, nowMs);
    release(contender, now);
    contender.yielded = false;
    return ok ? Step::Placed : Step::Done;
  }
  const auto* type = working.type(id.type);
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

Placer::Step Placer::registerLaunched(const config::LogicalServiceId& id, Contender& contender,
                                      model::ClusterSnapshot& working, std::int64_t nowMs) {
  const auto physical = *contender.launched;
  const auto now = std::chrono::steady_clock::now();
  switch (instances_.launchState(physical.uuid)) {
    case LocalInstances::LaunchState::Starting:
      if (now < contender.launchDeadline) return Step::Waiting;
      instances_.stop(physical.uuid, fmt::format("it did not start within {} ms",
                                                 kStartTimeout.count()));
      release(contender, now);
      return Step::Done;
    case LocalInstances::LaunchState::Ended:
      release(contender, now);
      return Step::Done;
    case LocalInstances::LaunchState::Running:
      break;
  }
  const bool ok = instances_.registerInstance(physical, contender.member->nodePath());
  if (ok) recordPlaced(id, physical, contender.fills, working, nowMs);
  release(contender, now);
  contender.yielded = false;
  return ok ? Step::Placed : Step::Done;
}

void Placer::recordPlaced(const config::LogicalServiceId& id,
                          const config::PhysicalServiceId& physical, bool fills,
                        model::ClusterSnapshot& working, std::int64_t nowMs) {
  // Later rounds of this pass see what was just placed.
  model::PhysicalServiceView view;
  view.uuid = physical.uuid;
  view.data = config::PhysicalServiceData{context_.options.hostId,
                                          0,
                                          {},
                                          nowMs,
                                          working.type(id.type)->stored->generation,
                                          config::PhysicalState::Starting};
  working.types.at(id.type).logical[id.sequence].physical.emplace(physical.uuid, std::move(view));
  if (fills) {
    zk::destroyQueue(*context_.session(), context_.layout.createPhysicalServiceLock(id));
    context_.tree().invalidate(context_.layout.createPhysicalServiceLocksDir());
  }
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

#include "manager/daemon/placer.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "config/lock_contender_data.hpp"
#include "manager/daemon/placement/placement.hpp"
#include "manager/daemon/reconcile/contention_plan.hpp"
#include "manager/zk/error.hpp"
#include "manager/zk/lock.hpp"
#include "manager/zk/uuid.hpp"

namespace sm::daemon {

namespace {
constexpr std::chrono::milliseconds kStartTimeout{5000};
constexpr std::chrono::milliseconds kHeadWait{50};
}  // namespace

Placer::Placer(DaemonContext& context, LocalInstances& instances)
    : context_(context), instances_(instances) {}

Placer::~Placer() {
  forgetAll();
}

void Placer::enqueue(const config::LogicalServiceId& id, Contender& contender,
                     const Contention& contention) {
  contender.queuedRank = contention.rank;
  auto head = contender.head;
  zk::QueueMember::Listener listener;
  listener.onPosition = [this, head](const zk::QueueMember::Position& position) {
    if (!position.first) return;
    {
      std::lock_guard lock(head->mutex);
      head->first = true;
    }
    head->reached.notify_all();
    context_.wake();
  };
  listener.onLost = [this](zk::LossReason) { context_.wake(); };
  contender.member = zk::QueueMember::make(
      context_.session(), context_.layout.createPhysicalServiceLock(id),
      std::string(config::Layout::kLockChildPrefix),
      config::encodeLockContenderData({context_.options.hostId, contention.score}), listener);
  contender.member->enter();
  spdlog::debug("queued for {}", context_.layout.createPhysicalServiceLock(id));
}

std::optional<std::chrono::steady_clock::time_point> Placer::reconcile(
    const ClusterSnapshot& snapshot, std::int64_t nowMs) {
  const auto now = std::chrono::steady_clock::now();
  auto& failures = instances_.failures();
  auto plan = [&](const ClusterSnapshot& view) {
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
    auto& member = it->second.member;
    if (!wanted.contains(it->first) || (member && !member->active())) {
      if (member && member->active()) member->leave();
      it = contenders_.erase(it);
    } else {
      ++it;
    }
  }
  ClusterSnapshot working = snapshot;
  // Bounded: it takes two rounds (queue, then place) per instance.
  const std::size_t rounds = 2 * wanted.size() + 2;
  for (std::size_t round = 0; round < rounds; ++round) {
    auto queued = std::find_if(contenders_.begin(), contenders_.end(),
                               [](const auto& item) { return item.second.member != nullptr; });
    if (queued != contenders_.end()) {
      if (!queued->second.head->isFirst()) return std::nullopt;  // a wake-up follows
      if (place(queued->first, queued->second, working, nowMs)) wanted = plan(working);
      continue;
    }
    // Next: the best due contention (rank 0 at once; others after their rank's delay).
    std::optional<std::chrono::steady_clock::time_point> next;
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
    // Its place is evaluated on the session's thread, within a round trip or two when nobody else
    // queues (the usual case): wait that long rather than a whole pass per placement.
    std::unique_lock lock(contender.head->mutex);
    if (!contender.head->reached.wait_for(lock, kHeadWait, [&] { return contender.head->first; })) {
      return next;  // another host holds it: a wake-up follows
    }
  }
  return std::nullopt;
}

void Placer::release(Contender& contender, std::chrono::steady_clock::time_point notBefore) {
  if (contender.member) contender.member->leave();
  contender.member.reset();
  contender.head = std::make_shared<HeadOfQueue>();
  contender.firstSeen = std::chrono::steady_clock::now();
  contender.notBefore = notBefore;
}

bool Placer::place(const config::LogicalServiceId& id, Contender& contender,
                   ClusterSnapshot& working, std::int64_t nowMs) {
  auto session = context_.session();
  const auto& layout = context_.layout;
  const auto now = std::chrono::steady_clock::now();
  const auto* type = working.type(id.type);
  const auto hostIt = working.hosts.find(context_.options.hostId);
  if (!type || !type->stored || hostIt == working.hosts.end()) {
    release(contender, now);
    return false;
  }
  // Check again, against the server and this pass's own placements, before starting anything.
  const auto physicalDir = layout.physicalServicesDir(id);
  session->sync(physicalDir);
  auto registered = session->children(physicalDir);
  const auto replicas = type->stored->type.spec.replicationCount;
  if (!registered || static_cast<std::int64_t>(registered->size()) >= replicas) {
    release(contender, now);
    return false;
  }
  placement::PlacementRequest request{*type->stored, id, working, nowMs};
  if (auto infeasible = placement::checkHost(request, hostIt->second)) {
    spdlog::info("not placing {} here: {}", layout.logicalService(id), infeasible->reason);
    release(contender, now);
    return false;
  }
  const auto ranked = placement::rankFeasibleHosts(request);
  const auto rank = static_cast<std::size_t>(
      std::find(ranked.begin(), ranked.end(), context_.options.hostId) - ranked.begin());
  const auto survivor = instances_.survivorOf(id);
  if (rank > contender.queuedRank && !contender.yielded && !survivor) {
    // Another host became better since we queued (say, we placed elsewhere meanwhile): give it
    // the time its rank gives it, once; after that, place anyway (it may be dead or stuck).
    contender.yielded = true;
    spdlog::debug("yielding {} to {} (this host ranks {})", layout.createPhysicalServiceLock(id),
                  ranked.front(), rank);
    release(contender, now + kRankDelay * static_cast<std::int64_t>(rank));
    return false;
  }

  const config::PhysicalServiceId physical =
      survivor.value_or(config::PhysicalServiceId{id, zk::newUuid()});
  auto stored = *type->stored;
  if (survivor) {
    // Nothing to start: the process outlived its registration.
  } else if (auto error = instances_.launch(physical, stored, kStartTimeout)) {
    spdlog::warn("could not start an instance of {}: {}", layout.logicalService(id), *error);
    release(contender, now);
    return false;
  }
  const bool ok = instances_.registerInstance(physical, contender.member->nodePath());
  const bool full = ok && static_cast<std::int64_t>(registered->size()) + 1 >= replicas;
  release(contender, now);
  contender.yielded = false;
  if (!ok) return false;
  // Later rounds of this pass see what was just placed.
  PhysicalServiceView view;
  view.uuid = physical.uuid;
  view.data = config::PhysicalServiceData{
      context_.options.hostId, 0, {}, nowMs, stored.generation, config::PhysicalState::Starting};
  working.types.at(id.type).logical[id.sequence].physical.emplace(physical.uuid, std::move(view));
  if (full) {
    zk::Lock::destroy(*session, layout.createPhysicalServiceLock(id));
    context_.tree().invalidate(layout.createPhysicalServiceLocksDir());
  }
  return true;
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

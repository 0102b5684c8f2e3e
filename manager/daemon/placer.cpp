#include "manager/daemon/placer.hpp"

#include <spdlog/spdlog.h>

#include "config/lock_contender_data.hpp"
#include "manager/daemon/placement/placement.hpp"
#include "manager/daemon/reconcile/contention_plan.hpp"
#include "manager/zk/error.hpp"
#include "manager/zk/lock.hpp"
#include "manager/zk/uuid.hpp"

namespace sm::daemon {

namespace {
constexpr std::chrono::milliseconds kStartTimeout{5000};
}

Placer::Placer(DaemonContext& context, LocalInstances& instances)
    : context_(context), instances_(instances) {}

Placer::~Placer() {
  forgetAll();
}

void Placer::enqueue(const config::LogicalServiceId& id, Contender& contender, double score) {
  auto first = contender.first;
  zk::QueueMember::Listener listener;
  listener.onPosition = [this, first](const zk::QueueMember::Position& position) {
    if (position.first) {
      *first = true;
      context_.wake();
    }
  };
  listener.onLost = [this](zk::LossReason) { context_.wake(); };
  contender.member = zk::QueueMember::make(
      context_.session(), context_.layout.createPhysicalServiceLock(id),
      std::string(config::Layout::kLockChildPrefix),
      config::encodeLockContenderData({context_.options.hostId, score}), listener);
  contender.member->enter();
}

std::optional<std::chrono::steady_clock::time_point> Placer::reconcile(
    const ClusterSnapshot& snapshot, std::int64_t nowMs) {
  const auto now = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> next;
  auto& failures = instances_.failures();
  std::map<config::LogicalServiceId, Contention> wanted;
  for (auto& c : planContention(snapshot, context_.options.hostId, nowMs)) {
    if (failures.mayStart(c.logical.type, nowMs)) wanted.emplace(c.logical, c);
  }
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
  for (const auto& [id, contention] : wanted) {
    auto [it, added] = contenders_.try_emplace(id);
    auto& contender = it->second;
    if (added) contender.firstSeen = now;
    if (!contender.member) {
      const auto due = contender.firstSeen + kRankDelay * contention.rank;
      if (due > now) {
        if (!next || due < *next) next = due;
        continue;
      }
      try {
        enqueue(id, contender, contention.score);
      } catch (const zk::ZkError& e) {
        if (e.isConnectionLoss() || e.isSessionLost()) throw;
        contenders_.erase(it);  // the lock went meanwhile
        continue;
      }
    }
    if (*contender.first) place(id, contender, working, nowMs);
  }
  std::erase_if(contenders_, [](const auto& item) { return item.second.member && !item.second.member->active(); });
  return next;
}

void Placer::place(const config::LogicalServiceId& id, Contender& contender,
                   ClusterSnapshot& working, std::int64_t nowMs) {
  auto session = context_.session();
  const auto& layout = context_.layout;
  auto release = [&] {
    contender.member->leave();
    *contender.first = false;
    contender.member.reset();
    contender.firstSeen = std::chrono::steady_clock::now();
  };
  const auto* type = working.type(id.type);
  const auto* host = working.hosts.count(context_.options.hostId)
                         ? &working.hosts.at(context_.options.hostId)
                         : nullptr;
  if (!type || !type->stored || !host) return release();
  // Check again, against the server and this pass's own placements, before starting anything.
  const auto physicalDir = layout.physicalServicesDir(id);
  session->sync(physicalDir);
  auto registered = session->children(physicalDir);
  const auto replicas = type->stored->type.spec.replicationCount;
  if (!registered || static_cast<std::int64_t>(registered->size()) >= replicas) return release();
  placement::PlacementRequest request{*type->stored, id, working, nowMs};
  if (auto infeasible = placement::checkHost(request, *host)) {
    spdlog::info("not placing {} here: {}", layout.logicalService(id), infeasible->reason);
    return release();
  }

  const config::PhysicalServiceId physical{id, zk::newUuid()};
  auto stored = *type->stored;
  if (auto error = instances_.launch(physical, stored, kStartTimeout)) {
    spdlog::warn("could not start an instance of {}: {}", layout.logicalService(id), *error);
    return release();
  }
  const bool ok = instances_.registerInstance(physical, contender.member->nodePath());
  const bool full = ok && static_cast<std::int64_t>(registered->size()) + 1 >= replicas;
  release();
  if (!ok) return;
  // This pass may place more: let the working snapshot count what was just placed.
  auto& logical = working.types.at(id.type).logical[id.sequence];
  PhysicalServiceView view;
  view.uuid = physical.uuid;
  view.data = config::PhysicalServiceData{context_.options.hostId, 0, {}, nowMs,
                                          stored.generation, config::PhysicalState::Starting};
  logical.physical.emplace(physical.uuid, std::move(view));
  if (full) {
    zk::Lock::destroy(*session, layout.createPhysicalServiceLock(id));
    context_.tree().invalidate(layout.createPhysicalServiceLocksDir());
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

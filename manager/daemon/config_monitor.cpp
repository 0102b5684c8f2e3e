#include "manager/daemon/config_monitor.hpp"

#include <spdlog/spdlog.h>

#include "config/create_lock_data.hpp"
#include "config/lock_contender_data.hpp"
#include "config/logical_service_data.hpp"
#include "manager/daemon/reconcile/logical_services.hpp"
#include "manager/zk/error.hpp"
#include "manager/zk/op.hpp"
#include "manager/zk/path.hpp"
#include "manager/zk/uuid.hpp"

namespace sm::daemon {

namespace {

// The multi's first op is the fence: when it fails, the lock is no longer ours.
bool fenceFailed(const zk::ZkError& e) {
  auto multi = dynamic_cast<const zk::MultiError*>(&e);
  return multi && multi->failedIndex() == 0;
}

}  // namespace

ConfigMonitor::ConfigMonitor(DaemonContext& context) : context_(context) {}

ConfigMonitor::~ConfigMonitor() {
  forgetAll();
}

void ConfigMonitor::contend(const std::string& type) {
  auto session = context_.session();
  const auto dir = context_.layout.serviceConfigMonitorLock(type);
  session->ensurePath(dir);
  TypeLock lock;
  auto first = lock.first;
  zk::QueueMember::Listener listener;
  listener.onPosition = [this, first, type](const zk::QueueMember::Position& position) {
    if (position.first && !*first) {
      spdlog::info("holding the config monitor lock of {}", type);
      *first = true;
      context_.wake();
    }
  };
  listener.onLost = [this, first](zk::LossReason) {
    *first = false;
    context_.wake();
  };
  lock.member = zk::QueueMember::make(
      session, dir, std::string(config::Layout::kLockChildPrefix),
      config::encodeLockContenderData({context_.options.hostId, std::nullopt}), listener);
  lock.member->enter();
  locks_[type] = std::move(lock);
}

void ConfigMonitor::reconcile(const ClusterSnapshot& snapshot, std::int64_t nowMs) {
  std::set<std::string> types;
  for (const auto& [name, type] : snapshot.types) types.insert(name);
  for (const auto& [id, lock] : snapshot.createLocks) types.insert(id.type);

  for (auto it = locks_.begin(); it != locks_.end();) {
    const bool lost = !it->second.member->active();
    if (lost || !types.contains(it->first)) {
      if (!lost) it->second.member->leave();
      if (!types.contains(it->first)) {
        // The type is gone for good: its lock directory goes too, once nobody queues in it.
        try {
          context_.session()->remove(context_.layout.serviceConfigMonitorLock(it->first));
        } catch (const zk::ZkError&) {
        }
      }
      it = locks_.erase(it);
      continue;
    }
    ++it;
  }
  for (const auto& type : types) {
    if (locks_.contains(type)) continue;
    try {
      contend(type);
    } catch (const zk::ZkError& e) {
      if (e.isConnectionLoss() || e.isSessionLost()) throw;
      spdlog::warn("cannot queue for the config monitor lock of {}: {}", type, e.what());
    }
  }
  for (auto& [type, lock] : locks_) {
    if (!*lock.first || !lock.member->active()) continue;
    auto plan = planServiceType(type, snapshot, nowMs);
    if (!plan.empty()) apply(type, plan, snapshot, lock.member->nodePath(), nowMs);
  }
}

void ConfigMonitor::apply(const std::string& type, const TypePlan& plan,
                          const ClusterSnapshot& snapshot, const std::string& fence,
                          std::int64_t nowMs) {
  auto session = context_.session();
  const auto& layout = context_.layout;
  try {
    if (plan.createLogical > 0) createLogical(type, plan.createLogical, fence, nowMs);
    for (const auto& id : plan.removeLogical) removeLogical(id, snapshot, fence);
    const auto replicas = [&](const config::LogicalServiceId& id) {
      const auto* view = snapshot.type(id.type);
      return view && view->stored ? view->stored->type.spec.replicationCount : 0;
    };
    for (const auto& id : plan.destroyLocks) {
      // The snapshot is read path by path, not at one instant: ask the server before acting.
      const auto* view = snapshot.type(id.type);
      if (view && isWanted(*view, id.sequence) && registeredNow(id) < replicas(id)) {
        continue;
      }
      destroyLock(id, fence);
    }
    for (const auto& id : plan.createLocks) {
      if (registeredNow(id) >= replicas(id)) continue;
      try {
        session->multi({zk::Op::check(fence, -1),
                        zk::Op::create(layout.createPhysicalServiceLock(id),
                                       config::encodeCreateLockData({layout.logicalService(id)}))});
        spdlog::info("created {}", layout.createPhysicalServiceLock(id));
      } catch (const zk::MultiError& e) {
        if (fenceFailed(e)) throw;  // NodeExists: someone was quicker, which is just as good
      }
    }
    for (const auto& [id, status] : plan.statuses) {
      const auto* logical = snapshot.logical(id);
      const auto path = layout.status(id);
      const auto data = config::encodeStatusData(status);
      try {
        session->multi(
            {zk::Op::check(fence, -1), logical && logical->statusVersion >= 0
                                           ? zk::Op::set(path, data, logical->statusVersion)
                                           : zk::Op::create(path, data)});
        if (!status.reason.empty()) spdlog::info("{}: {}", path, status.reason);
      } catch (const zk::MultiError& e) {
        if (fenceFailed(e)) throw;  // else changed meanwhile: the next pass reads it again
      }
      context_.tree().invalidate(path);
    }
  } catch (const zk::MultiError& e) {
    if (!fenceFailed(e)) throw;
    spdlog::warn("lost the config monitor lock of {} ({}); writing nothing more", type, fence);
    *locks_[type].first = false;
  }
  context_.tree().invalidate(layout.serviceType(type));
  context_.tree().invalidate(layout.createPhysicalServiceLocksDir());
}

std::int64_t ConfigMonitor::registeredNow(const config::LogicalServiceId& id) {
  auto session = context_.session();
  const auto dir = context_.layout.physicalServicesDir(id);
  session->sync(dir);
  auto names = session->children(dir);
  return names ? static_cast<std::int64_t>(names->size()) : 0;
}

void ConfigMonitor::createLogical(const std::string& type, std::int64_t count,
                                  const std::string& fence, std::int64_t nowMs) {
  auto session = context_.session();
  const auto& layout = context_.layout;
  // Each node is created with the name ZooKeeper's sequential create would give it (the parent's
  // child version, which every child created moves on by one), so that it can be made in one
  // multi() with its children and its create-lock: no manager ever sees half a logical service,
  // even if this one dies in between. Batches keep a multi() well under the request size limit.
  constexpr std::int64_t kBatch = 50;
  const auto typePath = layout.serviceType(type);
  for (int attempt = 0; attempt < 5 && count > 0;) {
    session->sync(typePath);
    auto stat = session->exists(typePath);
    if (!stat) return;
    const auto batch = std::min(count, kBatch);
    std::vector<zk::Op> ops{zk::Op::check(fence, -1)};
    for (std::int64_t i = 0; i < batch; ++i) {
      const config::LogicalServiceId id{type, stat->cversion + i};
      ops.push_back(zk::Op::create(layout.logicalService(id),
                                   config::encodeLogicalServiceData({zk::newUuid(), nowMs})));
      ops.push_back(zk::Op::create(layout.physicalServicesDir(id), ""));
      ops.push_back(zk::Op::create(layout.electionDir(id), ""));
      ops.push_back(zk::Op::create(layout.createPhysicalServiceLock(id),
                                   config::encodeCreateLockData({layout.logicalService(id)})));
    }
    try {
      session->multi(ops);
      spdlog::info("created {} logical service{} of {} from {}", batch, batch == 1 ? "" : "s", type,
                   layout.logicalService({type, stat->cversion}));
      count -= batch;
    } catch (const zk::MultiError& e) {
      if (fenceFailed(e) || e.code() != zk::Code::NodeExists) throw;
      ++attempt;  // a child was added meanwhile (its version moved on): read it again
    }
  }
}

void ConfigMonitor::removeLogical(const config::LogicalServiceId& id,
                                  const ClusterSnapshot& snapshot, const std::string& fence) {
  const auto& layout = context_.layout;
  const auto* logical = snapshot.logical(id);
  if (!logical) return;
  std::vector<zk::Op> ops{zk::Op::check(fence, -1)};
  for (const auto& member : logical->election) {
    ops.push_back(zk::Op::remove(zk::childPath(layout.electionDir(id), member.name)));
  }
  ops.push_back(zk::Op::remove(layout.electionDir(id)));
  ops.push_back(zk::Op::remove(layout.physicalServicesDir(id)));
  if (logical->statusVersion >= 0) ops.push_back(zk::Op::remove(layout.status(id)));
  ops.push_back(zk::Op::remove(layout.logicalService(id)));
  try {
    context_.session()->multi(ops);
    spdlog::info("removed {} (scaled down)", layout.logicalService(id));
  } catch (const zk::MultiError& e) {
    if (fenceFailed(e)) throw;
    // Something changed under it (an instance registered late): the next pass looks again.
  }
}

void ConfigMonitor::destroyLock(const config::LogicalServiceId& id, const std::string& fence) {
  auto session = context_.session();
  const auto path = context_.layout.createPhysicalServiceLock(id);
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto contenders = session->children(path);
    if (!contenders) return;
    std::vector<zk::Op> ops{zk::Op::check(fence, -1)};
    for (const auto& name : *contenders) ops.push_back(zk::Op::remove(zk::childPath(path, name)));
    ops.push_back(zk::Op::remove(path));
    try {
      session->multi(ops);
      spdlog::info("removed {}", path);
      return;
    } catch (const zk::MultiError& e) {
      if (fenceFailed(e)) throw;  // else a contender came or went: list again
    }
  }
}

void ConfigMonitor::leaveAll() {
  for (auto& [type, lock] : locks_) lock.member->leave();
  locks_.clear();
}

void ConfigMonitor::forgetAll() {
  locks_.clear();
}

}  // namespace sm::daemon

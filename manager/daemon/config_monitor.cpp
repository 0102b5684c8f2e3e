#include "manager/daemon/config_monitor.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "config/assignment_data.hpp"
#include "config/create_lock_data.hpp"
#include "config/lock_contender_data.hpp"
#include "config/logical_service_data.hpp"
#include "manager/daemon/reconcile/assignment_nodes.hpp"
#include "manager/daemon/reconcile/monitor_contenders.hpp"
#include "manager/zk/error.hpp"
#include "manager/zk/op.hpp"
#include "manager/zk/path.hpp"
#include "manager/zk/queue_destroy.hpp"
#include "manager/zk/uuid.hpp"

namespace sm::daemon {

namespace {

// The multi's first op is the fence: when it fails, the lock is no longer ours.
bool fenceFailed(const zk::ZkError& e) {
  auto multi = dynamic_cast<const zk::MultiError*>(&e);
  return multi && multi->failedIndex() == 0;
}

// Writes ops 0..count-1 (`opOf(i)`) in multi()s behind `fence`, a batch at a time: a pass that
// writes a thousand nodes waits for ten round trips, not a thousand. When an operation of a batch
// fails (a node that went or came meanwhile), each of that batch is tried alone (`alone(i)`).
// A failed fence is thrown: the lock is no longer ours.
// `batch` ops of the largest size written keep a multi() well under the request size limit.
template <typename OpOf, typename Alone>
void writeInBatches(zk::Session& session, const zk::Op& fence, std::size_t count, OpOf opOf,
                    Alone alone, std::size_t batch = 100) {
  for (std::size_t first = 0; first < count; first += batch) {
    const auto last = std::min(count, first + batch);
    std::vector<zk::Op> ops{fence};
    for (auto i = first; i < last; ++i) ops.push_back(opOf(i));
    try {
      session.multi(ops);
    } catch (const zk::MultiError& e) {
      if (fenceFailed(e)) throw;
      for (auto i = first; i < last; ++i) alone(i);
    }
  }
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
  zk::QueueMember::Listener listener;
  listener.onLost = [this](zk::LossReason) { context_.wake(); };
  listener.onState = [this, type](zk::QueueMember::State state) {
    if (state == zk::QueueMember::State::Held) {
      spdlog::info("holding the config monitor lock of {}", type);
      context_.wake();
    }
  };
  auto member = zk::QueueMember::make(
      session, dir, std::string(config::Layout::kLockChildPrefix),
      config::encodeLockContenderData({context_.options.hostId, std::nullopt}), listener);
  member->enter();
  locks_[type] = std::move(member);
}

void ConfigMonitor::reconcile(const model::ClusterSnapshot& snapshot, std::int64_t nowMs) {
  std::set<std::string> types;
  for (const auto& [name, type] : snapshot.types) types.insert(name);
  for (const auto& [id, lock] : snapshot.createLocks) types.insert(id.type);

  for (auto it = locks_.begin(); it != locks_.end();) {
    const bool lost = !it->second->active();
    if (lost || !types.contains(it->first)) {
      if (!lost) it->second->leave();
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
    if (!contendsForMonitor(snapshot, type, context_.options.hostId)) continue;
    try {
      contend(type);
    } catch (const zk::ZkError& e) {
      if (e.isConnectionLoss() || e.isSessionLost()) throw;
      spdlog::warn("cannot queue for the config monitor lock of {}: {}", type, e.what());
    }
  }
  for (auto& [type, member] : locks_) {
    if (!member->held()) continue;
    auto plan = planServiceType(type, snapshot, nowMs);
    if (!plan.empty()) apply(type, plan, snapshot, member->fence(), nowMs);
    const auto assignments = planAssignments(snapshot, type, nowMs);
    try {
      applyAssignments(type, assignments, snapshot, member->fence());
    } catch (const zk::MultiError& e) {
      if (!fenceFailed(e)) throw;
      spdlog::warn("lost the config monitor lock of {}; naming no host", type);
    }
  }
}

std::set<std::string> ConfigMonitor::heldTypes() const {
  std::set<std::string> held;
  for (const auto& [type, member] : locks_) {
    if (member->held()) held.insert(type);
  }
  return held;
}

void ConfigMonitor::applyAssignments(const std::string& type, const AssignmentPlan& plan,
                                     const model::ClusterSnapshot& snapshot, const zk::Op& fence) {
  auto session = context_.session();
  const auto& layout = context_.layout;
  const auto writes = planAssignmentNodes(snapshot, type, plan);
  if (writes.empty()) return;
  auto opOf = [&](std::size_t i) {
    const auto& w = writes[i];
    const auto path = layout.assignments(w.host, w.type);
    if (!w.data) return zk::Op::remove(path);
    const auto data = config::encodeAssignmentsData(*w.data);
    return w.exists ? zk::Op::set(path, data)
                    : zk::Op::create(path, data, zk::CreateMode::Ephemeral);
  };
  // A node names up to kMaxNamedPerNode logical services, about 80 bytes each.
  constexpr std::size_t kNodesPerMulti = 8;
  writeInBatches(
      *session, fence, writes.size(), opOf,
      [&](std::size_t i) {
        for (int attempt = 0; attempt < 2; ++attempt) {
          try {
            session->multi({fence, opOf(i)});
            return;
          } catch (const zk::MultiError& e) {
            if (fenceFailed(e)) throw;
            // Else read at a moment it was (not) there: the next pass reads it again. Unless
            // it is the host's first: its inbox is made with it.
            if (e.code() != zk::Code::NoNode || writes[i].exists) return;
            session->ensurePath(layout.hostAssignments(writes[i].host));
          }
        }
      },
      kNodesPerMulti);
  for (const auto& w : writes) {
    context_.tree().invalidate(layout.assignments(w.host, w.type));
    // Only a node made or removed changes the inbox's listing; a setData leaves it.
    if (!w.exists || !w.data) context_.tree().invalidate(layout.hostAssignments(w.host));
  }
  for (const auto& c : plan.remove) {
    if (c.settled) continue;
    spdlog::debug("{} is no longer named for {}: {}", c.host, layout.logicalService(c.logical),
                  c.reason);
  }
  for (const auto& c : plan.create) {
    spdlog::debug("named {} for a replica of {}", c.host, layout.logicalService(c.logical));
  }
}

void ConfigMonitor::writeStatuses(const TypePlan& plan, const model::ClusterSnapshot& snapshot,
                                  const zk::Op& fence) {
  auto session = context_.session();
  const auto& layout = context_.layout;
  std::vector<bool> written(plan.statuses.size(), true);
  auto opOf = [&](std::size_t i) {
    const auto& [id, status] = plan.statuses[i];
    const auto* logical = snapshot.logical(id);
    const auto data = config::encodeStatusData(status);
    return logical && logical->statusVersion >= 0
               ? zk::Op::set(layout.status(id), data, logical->statusVersion)
               : zk::Op::create(layout.status(id), data);
  };
  writeInBatches(*session, fence, plan.statuses.size(), opOf, [&](std::size_t i) {
    try {
      session->multi({fence, opOf(i)});
    } catch (const zk::MultiError& e) {
      if (fenceFailed(e)) throw;
      written[i] = false;  // changed meanwhile: the next pass reads it again
    }
  });
  for (std::size_t i = 0; i < plan.statuses.size(); ++i) {
    const auto& [id, status] = plan.statuses[i];
    const auto path = layout.status(id);
    context_.tree().invalidate(path);
    if (!written[i]) continue;
    if (!status.reason.empty()) spdlog::info("{}: {}", path, status.reason);
    // An event when the reason changes (a status is rewritten for its counts too).
    const auto* logical = snapshot.logical(id);
    const auto* before = logical && logical->status ? &logical->status->reason : nullptr;
    if (!status.reason.empty() && (!before || *before != status.reason)) {
      context_.events.record(config::event_kind::kRefused, id.type, id.sequence, "", status.reason);
    }
  }
}

TypePlan ConfigMonitor::confirmLockChanges(const std::string& type, const TypePlan& plan,
                                           const model::ClusterSnapshot& snapshot, std::int64_t nowMs) {
  if (plan.createLocks.empty() && plan.destroyLocks.empty()) return plan;
  auto session = context_.session();
  model::ClusterSnapshot confirmed = snapshot;
  std::vector<model::LogicalServiceView*> logicals;
  std::vector<zk::Session::Read> reads;
  for (const auto* ids : {&plan.createLocks, &plan.destroyLocks}) {
    for (const auto& id : *ids) {
      auto* view = confirmed.types.count(id.type) ? &confirmed.types.at(id.type) : nullptr;
      if (!view || !view->logical.count(id.sequence)) continue;
      logicals.push_back(&view->logical.at(id.sequence));
      reads.push_back({context_.layout.physicalServicesDir(id), true, {}});
    }
  }
  if (!reads.empty()) {
    // One sync serves every read behind it: a session's requests are answered in order.
    session->sync(reads.front().path);
    auto answers = session->readMany(reads);
    for (std::size_t i = 0; i < answers.size(); ++i) {
      if (answers[i].code != zk::Code::Ok && answers[i].code != zk::Code::NoNode) {
        throw zk::ZkError(answers[i].code, "children", reads[i].path);
      }
      auto& physical = logicals[i]->physical;
      const auto names = std::move(answers[i].names);
      std::map<std::string, model::PhysicalServiceView> now;
      for (const auto& name : names.value_or(std::vector<std::string>{})) {
        const auto uuid = config::Layout::parsePhysicalServiceName(name);
        if (!uuid) continue;
        auto it = physical.find(*uuid);
        now[*uuid] = it != physical.end() ? it->second : model::PhysicalServiceView{*uuid, {}, {}, 0, 0};
      }
      physical = std::move(now);
    }
  }
  auto again = planServiceType(type, confirmed, nowMs);
  auto both = [](const std::vector<config::LogicalServiceId>& first,
                 const std::vector<config::LogicalServiceId>& second) {
    std::vector<config::LogicalServiceId> result;
    for (const auto& id : first) {
      if (std::find(second.begin(), second.end(), id) != second.end()) result.push_back(id);
    }
    return result;
  };
  TypePlan result = plan;
  result.createLocks = both(plan.createLocks, again.createLocks);
  result.destroyLocks = both(plan.destroyLocks, again.destroyLocks);
  return result;
}

void ConfigMonitor::apply(const std::string& type, const TypePlan& planned,
                          const model::ClusterSnapshot& snapshot, const zk::Op& fence,
                          std::int64_t nowMs) {
  auto session = context_.session();
  const auto& layout = context_.layout;
  try {
    if (planned.createLogical > 0) createLogical(type, planned.createLogical, fence, nowMs);
    for (const auto& id : planned.removeLogical) removeLogical(id, snapshot, fence);
    const auto plan = confirmLockChanges(type, planned, snapshot, nowMs);
    for (const auto& id : plan.destroyLocks) {
      if (zk::destroyQueue(*session, layout.createPhysicalServiceLock(id), fence)) {
        spdlog::info("removed {}", layout.createPhysicalServiceLock(id));
      }
    }
    for (const auto& id : plan.createLocks) {
      try {
        session->multi({fence, zk::Op::create(layout.createPhysicalServiceLock(id),
                                              config::encodeCreateLockData(
                                                  {layout.logicalService(id)}))});
        spdlog::info("created {}", layout.createPhysicalServiceLock(id));
      } catch (const zk::MultiError& e) {
        if (fenceFailed(e)) throw;  // NodeExists: someone was quicker, which is just as good
      }
    }
    for (const auto& change : plan.identities) applyIdentityChange(type, change, fence);
    writeStatuses(plan, snapshot, fence);
  } catch (const zk::MultiError& e) {
    if (!fenceFailed(e)) throw;
    // Our place is gone: the recipe reports it lost, and the next pass queues again.
    spdlog::warn("lost the config monitor lock of {} ({}); writing nothing more", type, fence.path);
  }
  context_.tree().invalidate(layout.serviceType(type));
  context_.tree().invalidate(layout.createPhysicalServiceLocksDir());
}

void ConfigMonitor::applyIdentityChange(const std::string& type, const IdentityChange& change,
                                        const zk::Op& fence) {
  const auto path = context_.layout.persistentService(type, change.uuid);
  const auto op =
      change.kind == IdentityChange::Kind::Set
          ? zk::Op::set(path, config::encodePersistentServiceData(change.data), change.version)
          : zk::Op::remove(path, change.version);
  try {
    context_.session()->multi({fence, op});
    spdlog::info("{}: {}", path, change.reason);
  } catch (const zk::MultiError& e) {
    if (fenceFailed(e)) throw;
    // Changed meanwhile (its host took it back, say): the next pass reads it again.
  }
  context_.tree().invalidate(path);
}

void ConfigMonitor::createLogical(const std::string& type, std::int64_t count,
                                  const zk::Op& fence, std::int64_t nowMs) {
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
    std::vector<zk::Op> ops{fence};
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
                                  const model::ClusterSnapshot& snapshot, const zk::Op& fence) {
  const auto& layout = context_.layout;
  const auto* logical = snapshot.logical(id);
  if (!logical) return;
  std::vector<zk::Op> ops{fence};
  std::vector<std::string> members;
  for (const auto& member : logical->election) members.push_back(member.name);
  // The election goes as destroyQueue() would remove it: no candidate takes it for a failover.
  for (auto& op : zk::queueRemovalOps(layout.electionDir(id), std::move(members))) {
    ops.push_back(std::move(op));
  }
  ops.push_back(zk::Op::remove(layout.physicalServicesDir(id)));
  if (logical->statusVersion >= 0) ops.push_back(zk::Op::remove(layout.status(id)));
  // Its persistent identities go with it (their data stays on their hosts until purged).
  for (const auto* identity : snapshot.identitiesOf(id)) {
    ops.push_back(
        zk::Op::remove(layout.persistentService(id.type, identity->uuid), identity->version));
  }
  ops.push_back(zk::Op::remove(layout.logicalService(id)));
  try {
    context_.session()->multi(ops);
    spdlog::info("removed {} (scaled down)", layout.logicalService(id));
  } catch (const zk::MultiError& e) {
    if (fenceFailed(e)) throw;
    // Something changed under it (an instance registered late): the next pass looks again.
  }
}

void ConfigMonitor::leaveAll() {
  for (auto& [type, member] : locks_) member->leave();
  locks_.clear();
}

void ConfigMonitor::forgetAll() {
  locks_.clear();
}

}  // namespace sm::daemon

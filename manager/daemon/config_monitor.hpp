#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "manager/daemon/context.hpp"
#include "manager/model/cluster_snapshot.hpp"
#include "manager/daemon/reconcile/assignment_plan.hpp"
#include "manager/daemon/reconcile/type_plan.hpp"
#include "manager/zk/queue_member.hpp"

namespace sm::daemon {

// Bigdata's ServiceConfigZNodeMonitorTask: a few managers (reconcile/monitor_contenders.hpp)
// queue for locks/serviceConfigMonitor/<type> of each type; the holder alone makes that type's
// logical services, create-locks and status match the spec (reconcile/type_plan.hpp decides), and
// names the hosts that place the missing replicas (reconcile/assignment_plan.hpp: flat
// placement). Each of its writes is a multi() fenced by its place in the queue, so a holder whose
// place was lost (and whose lock passed on) cannot write; while the connection is down
// (suspended) it writes nothing at all.
class ConfigMonitor {
 public:
  explicit ConfigMonitor(DaemonContext& context);
  ~ConfigMonitor();

  void reconcile(const model::ClusterSnapshot& snapshot, std::int64_t nowMs);
  // Leaves every queue (graceful stop), or forgets them (session lost: they are gone already).
  void leaveAll();
  void forgetAll();
  // The types whose lock this manager holds: it reads them whole (model::Focus), the others only
  // where its own instances and assignments are.
  std::set<std::string> heldTypes() const;

 private:
  void contend(const std::string& type);
  void apply(const std::string& type, const TypePlan& plan, const model::ClusterSnapshot& snapshot,
             const zk::Op& fence, std::int64_t nowMs);
  // The plan's lock changes, confirmed: the snapshot is read path by path, not at one instant, so
  // the registrations they depend on are read again from the server (after a sync) and the same
  // plan function decides again on that.
  TypePlan confirmLockChanges(const std::string& type, const TypePlan& plan,
                              const model::ClusterSnapshot& snapshot, std::int64_t nowMs);
  void createLogical(const std::string& type, std::int64_t count, const zk::Op& fence,
                     std::int64_t nowMs);
  void removeLogical(const config::LogicalServiceId& id, const model::ClusterSnapshot& snapshot,
                     const zk::Op& fence);
  // Each host's node of the type (reconcile/assignment_nodes.hpp). Ephemeral, so that a holder's
  // assignments go with its session and its successor names hosts again; fenced by our lock, in
  // batches.
  void applyAssignments(const std::string& type, const AssignmentPlan& plan,
                        const model::ClusterSnapshot& snapshot, const zk::Op& fence);
  // The plan's statuses, in batches; a reason that changed is also an event.
  void writeStatuses(const TypePlan& plan, const model::ClusterSnapshot& snapshot,
                     const zk::Op& fence);
  // Fenced by our lock and by the version the identity was read at.
  void applyIdentityChange(const std::string& type, const IdentityChange& change,
                           const zk::Op& fence);

  DaemonContext& context_;
  std::map<std::string, std::shared_ptr<zk::QueueMember>> locks_;  // by type
};

}  // namespace sm::daemon

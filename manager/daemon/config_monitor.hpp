#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "manager/daemon/context.hpp"
#include "manager/daemon/model/cluster_snapshot.hpp"
#include "manager/daemon/reconcile/type_plan.hpp"
#include "manager/zk/queue_member.hpp"

namespace sm::daemon {

// Bigdata's ServiceConfigZNodeMonitorTask: every manager queues for locks/serviceConfigMonitor/
// <type> of every type; the holder alone makes that type's logical services, create-locks and
// status match the spec. Each of its writes is a multi() that first checks its own lock node still
// exists, so a holder whose session was lost (and whose lock passed on) cannot write.
class ConfigMonitor {
 public:
  explicit ConfigMonitor(DaemonContext& context);
  ~ConfigMonitor();

  void reconcile(const ClusterSnapshot& snapshot, std::int64_t nowMs);
  // Leaves every queue (graceful stop), or forgets them (session lost: they are gone already).
  void leaveAll();
  void forgetAll();

 private:
  struct TypeLock {
    std::shared_ptr<zk::QueueMember> member;
    std::shared_ptr<std::atomic<bool>> first = std::make_shared<std::atomic<bool>>(false);
  };
  void contend(const std::string& type);
  void apply(const std::string& type, const TypePlan& plan, const ClusterSnapshot& snapshot,
             const std::string& fence, std::int64_t nowMs);
  void createLogical(const std::string& type, std::int64_t count, const std::string& fence,
                     std::int64_t nowMs);
  // Registered instances of a logical service, as the server has them now.
  std::int64_t registeredNow(const config::LogicalServiceId& id);
  void removeLogical(const config::LogicalServiceId& id, const ClusterSnapshot& snapshot,
                     const std::string& fence);
  void destroyLock(const config::LogicalServiceId& id, const std::string& fence);

  DaemonContext& context_;
  std::map<std::string, TypeLock> locks_;
};

}  // namespace sm::daemon

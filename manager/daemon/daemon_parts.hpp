#pragma once

#include <memory>

#include "manager/daemon/config_monitor.hpp"
#include "manager/daemon/context.hpp"
#include "manager/daemon/host_registry.hpp"
#include "manager/daemon/local_instances.hpp"
#include "manager/daemon/lock_server.hpp"
#include "manager/daemon/loop_inbox.hpp"
#include "manager/daemon/placer.hpp"
#include "manager/model/tree_reader.hpp"
#include "manager/zk/child_retention.hpp"
#include "manager/zk/session.hpp"

namespace sm::daemon {

// The daemon's parts and what the loop does with them, apart from the loop itself (Daemon), so that
// in-process tests can be the loop with the same code.
class DaemonParts {
 public:
  DaemonParts(DaemonContext& context, LoopInbox& inbox);
  ~DaemonParts();

  // Installs a newly connected session: its state changes are posted to the inbox, the parts learn
  // it is connected, and the key znodes exist (the root with its document, as servicesctl writes
  // it).
  void install(std::shared_ptr<zk::Session> session);
  // Applies one event taken from the inbox; true when a pass should follow at once (a pass that
  // can wait is asked for with the inbox's wakeSoon). An expired session sets `sessionLost` (the
  // loop opens a new one).
  bool handle(const LoopEvent& event, bool& sessionLost);
  // What this manager reads of the tree (flat placement): the types whose monitor it holds whole,
  // else only the logical services of its instances and of the queues it is in.
  model::Focus focus() const;
  // Stops, updates or rewrites this host's instances as planInstances decides from `snapshot`.
  void reconcileInstances(const model::ClusterSnapshot& snapshot);
  // Starts this host's persistent identities that run nowhere (after a manager restart, a crash
  // loop's cooldown, a host back within its grace) and registers them once they run.
  void resumeIdentities(const model::ClusterSnapshot& snapshot, std::int64_t nowMs);
  // Removes the data directories of this host's identities an operator forgot with --purge-data,
  // then their records.
  void purgeIdentities(const model::ClusterSnapshot& snapshot);
  // Day-2 operations, as the tree asks for them: paused types, master eligibility, switchovers
  // (this host's part in reordering a chain, and removing a request that is done) and a drain of
  // this host (handovers, then instances stopped one logical service at a time).
  void operate(const model::ClusterSnapshot& snapshot, std::int64_t nowMs);
  // --move-persistent: the identity becomes `abandoned`, fenced on the version read; false when
  // it was not (changed meanwhile, gone).
  bool abandonIdentity(const model::ClusterSnapshot& snapshot, const config::PhysicalServiceId& id);
  // Writes the events recorded so far (context.events); the loop calls it a little after the first
  // of them (Daemon::flushEventsWhenDue) and at shutdown, never while it applies an event.
  bool flushEvents();  // true when it wrote some
  // Graceful end: masters hand over, every process stops, and, while connected, the queues and the
  // host node are left (cut off, the session's end removes them all the same).
  void leave();

  DaemonContext& context;
  LoopInbox& inbox;
  LocalInstances instances;
  HostRegistry hosts;
  ConfigMonitor monitor;
  Placer placer;
  // Every daemon queues to trim events/; its one holder does, on a thread of its own.
  std::unique_ptr<zk::ChildRetention> eventsRetention;
  // Cluster-wide locks held for this host's managed processes (docs/locks.md), on a thread of its
  // own; the loop tells it of process starts and exits. Null when its socket could not be made.
  std::unique_ptr<LockServer> locks;
};

}  // namespace sm::daemon

#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "manager/daemon/context.hpp"
#include "manager/daemon/local_instances.hpp"
#include "manager/daemon/loop_inbox.hpp"
#include "manager/model/cluster_snapshot.hpp"
#include "manager/observe/observed_state.hpp"
#include "manager/observe/state_board.hpp"

namespace sm::daemon {

// The reconcile loop's side of the HTTP endpoint (manager/observe/): it counts what the loop sees
// (restarts, health failures, crash loops, failovers, session expiries, pass durations) and, after
// each batch of events and each pass, publishes one immutable ObservedState on the board. Every
// method runs on the loop's thread; publishing is a copy and a pointer swap, never a wait.
class StatePublisher {
 public:
  StatePublisher(DaemonContext& context, observe::StateBoard& board);

  // Around each event the loop handles: a master told after its predecessor went is a failover,
  // timed from when the election's news arrived (ElectionEvent::at).
  void beforeEvent(const LoopEvent& event, const LocalInstances& instances);
  void afterEvent(const LoopEvent& event, const LocalInstances& instances);
  void passDone(std::chrono::steady_clock::duration took, const model::ClusterSnapshot& snapshot);
  void sessionExpired() { ++state_.zkSessionExpirations; }

  void publish(const LocalInstances& instances);
  // When the loop last published (the heartbeat keeps it recent while the endpoint is on).
  std::chrono::steady_clock::time_point lastPublished() const { return state_.publishedAt; }

 private:
  std::string typeOf(const std::string& uuid) const;

  DaemonContext& context_;
  observe::StateBoard& board_;
  observe::ObservedState state_;  // the counters and the latest of everything; copied to publish
  std::map<std::string, std::string> typeByUuid_;
  std::map<std::string, std::string> toldRole_;  // by uuid, as of the last event or publish
  std::optional<std::string> roleBefore_;        // of the instance of the event being handled
};

}  // namespace sm::daemon

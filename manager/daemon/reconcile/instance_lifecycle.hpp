#pragma once

#include <optional>
#include <string>
#include <vector>


namespace sm::daemon {

// The lifecycle of one instance this manager runs, as a state machine. The reconcile loop's thread
// is the only one that changes a phase, and only through transition() below; supervisor events,
// election changes and the loop's own decisions reach it as LifecycleEvents.
enum class Phase {
  Starting,    // its process was spawned; the placer registers it once it runs
  Running,     // registered: physicalService znode and election member; role from the election
  Demoting,    // unhealthy: told `unknown` and out of the election; the supervisor stops it
  Restarting,  // its process ended; the supervisor restarts it in place (same uuid, ports and
               // files) after a backoff; its znode stays ("restarting"), with no election member
  Stopping,    // to end: withdrawn (or withdrawal pending), the process being stopped
  Survivor,    // the session expired: running unregistered, until registered again or stopped
  Gone,        // ended for good and withdrawn: forgotten once nothing is pending
};
const char* phaseName(Phase phase);

struct LifecycleEvent {
  enum class Kind {
    Started,           // its process runs (first start or a restart in place)
    Registered,        // its znodes were written (first registration, rejoin, or again after expiry)
    Unhealthy,         // failed its health check: the supervisor is stopping it
    Exited,            // the process ended; what follows comes as the next event
    RestartScheduled,  // the supervisor restarts it after a backoff
    GaveUp,            // the supervisor will not restart it: `failure`, `crashLoop`
    Stopped,           // the supervisor forgot it
    RoleFileFailed,    // it cannot learn its role
    StopRequested,     // the loop's plan: it must go
    SessionExpired,    // every registration went with the session
  };
  Kind kind = Kind::Started;
  bool failure = false;    // GaveUp: it failed (else it completed under on-failure or never)
  bool crashLoop = false;  // GaveUp
};
const char* lifecycleEventName(LifecycleEvent::Kind kind);

// What the executor (LocalInstances) does for a transition, in this order.
enum class Effect {
  TellUnknown,       // role file `unknown` (written before any withdrawal: demote before stop)
  WithdrawElection,  // remove its election member: the successor takes over now
  WithdrawAll,       // remove its physicalService znode and election member
  ForgetElection,    // its election member went with the session: only forget it locally
  Rejoin,            // the new process: its znode gets the pid, a new election member queues last
  RecordFailure,     // this host's failure tracker counts it (a crash loop cools the type down)
  StopProcess,       // the supervisor stops it (and forgets it afterwards)
};
const char* effectName(Effect effect);

struct Transition {
  Phase next;
  std::vector<Effect> effects;
};

// Pure. Events that mean nothing in a phase leave it as it is, without effects.
Transition transition(Phase phase, const LifecycleEvent& event);

}  // namespace sm::daemon

#pragma once
// What the daemon's HTTP endpoint serves, as one immutable value. The reconcile loop (the only
// thread that owns the daemon's state) builds one after each pass and after each batch of events
// and publishes it (state_board.hpp); HTTP threads only read published values, so no request can
// block or race the loop.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "manager/observe/histogram.hpp"

namespace sm::observe {

// One of this host's instances, as the loop knew it when it published.
struct ObservedInstance {
  std::string uuid;
  std::string type;
  std::string logical;  // logicalService<10 digits>
  std::string phase;    // the lifecycle phase: starting, running, restarting, ...
  std::string role;     // what its role file was last told: master, secondary, unknown
  std::int64_t epoch = 0;
  // While told master: its lease's end (CLOCK_MONOTONIC ns); a master whose lease has passed is
  // not counted as one.
  std::uint64_t leaseUntilMonoNs = 0;
  pid_t pid = 0;  // 0 while no process runs
  bool ready = false;
  bool registered = false;
  std::map<std::string, int> ports;
  std::string stdoutLog;
  std::string stderrLog;
};

// A logical service seen in the tree (with or without an instance here), so that each daemon
// reports a 0 for the masters it does not run and the sum over daemons is defined.
struct ObservedLogical {
  std::string type;
  std::string logical;
  auto operator<=>(const ObservedLogical&) const = default;
};

struct ObservedState {
  std::string hostId;
  // When the loop published this (steady clock): /healthz says whether the loop still turns.
  std::chrono::steady_clock::time_point publishedAt{};
  std::string zkSessionState = "connecting";  // zk::toString of the session's state
  bool zkConnected = false;
  std::uint64_t zkSessionExpirations = 0;
  // Requests this daemon sent to ZooKeeper, by operation (zk::requestCounts).
  std::vector<std::pair<std::string, std::uint64_t>> zkRequests;
  // events/: written, dropped (the queue overflowed while ZooKeeper was out of reach, or refused
  // for good), and still queued.
  std::uint64_t eventsWritten = 0;
  std::uint64_t eventsDropped = 0;
  std::uint64_t eventsPending = 0;

  std::vector<ObservedInstance> instances;
  std::vector<ObservedLogical> logicalServices;

  std::map<std::string, std::uint64_t> restartsByType;
  std::map<std::string, std::uint64_t> healthCheckFailuresByType;
  std::map<std::string, std::uint64_t> crashLoopsByType;
  Histogram failoverSeconds = Histogram::latency();
  Histogram reconcilePassSeconds = Histogram::latency();

  const ObservedInstance* instance(const std::string& uuid) const {
    for (const auto& i : instances) {
      if (i.uuid == uuid) return &i;
    }
    return nullptr;
  }
};

// Master with a lease that still holds at `monoNowNs`.
inline bool isLiveMaster(const ObservedInstance& instance, std::uint64_t monoNowNs) {
  return instance.role == "master" && instance.leaseUntilMonoNs > monoNowNs;
}

}  // namespace sm::observe

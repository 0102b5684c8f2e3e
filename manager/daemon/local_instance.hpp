#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/election_data.hpp"
#include "manager/daemon/local_instances.hpp"

namespace sm::daemon {

// One instance of LocalInstances: its process, registration, election and what it was told.
// Private to LocalInstances' translation units (local_instances*.cpp).
struct LocalInstances::Instance {
  config::PhysicalServiceId id;
  config::StoredServiceType type;
  Phase phase = Phase::Starting;
  std::int64_t startedMs = 0;  // of its current process
  pid_t pid = 0;               // 0 while no process runs
  std::map<std::string, int> ports;
  bool ready = false;
  bool registered = false;       // its physicalService znode exists, as far as we know
  bool withdrawPending = false;  // its znodes still have to go (the connection was lost)
  bool steadyRecorded = false;
  std::string lastMessage;  // of its last exit or failure, for the log and the failure tracker
  std::string electionNode;
  std::unique_ptr<zk::Election> election;
  // Counts registrations: election events carry theirs, and news of an older one is ignored.
  int registration = 0;
  bool master = false;            // what the election said last
  std::int64_t epoch = 0;         // ours while master
  std::int64_t masterEpoch = -1;  // the master's, as a secondary last learned it
  nlohmann::json masterPeer = nlohmann::json::object();
  std::vector<std::string> peers;  // of its logical service, as the tree last said
  supervisor::RoleState told;
  // Started again under its persistent identity (resume()): registerIdentities() registers it,
  // not the placer.
  bool resumed = false;

  // spec.promotion (local_instances_promotion.cpp).
  struct Candidacy {
    ElectionEvent event;  // the news that made it first: its epoch, and when
    bool wasSecondary = false;
    bool ownAnswered = false;  // its own hook ended for this round
    std::optional<std::int64_t> ownScore;
    std::string held;          // why it holds (maxLag), as published
    bool handingOver = false;  // its switchover request to a fresher member is out
  };
  std::optional<Candidacy> candidacy;  // first, not told master yet
  bool scoring = false;                // a score hook runs
  std::optional<std::int64_t> answeredRound;
  std::int64_t nextScoreMs = 0;    // the periodic refresh
  std::string scoreLogged;         // the last outcome logged: logged once per change
  config::ElectionData published;  // what its election node's data says
};

}  // namespace sm::daemon

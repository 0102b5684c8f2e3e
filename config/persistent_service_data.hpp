#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "config/result.hpp"

namespace sm::config {

// Running: its host's manager runs it (or will again: a process restart, a manager restart).
// Stopped: its manager stopped it on purpose (a graceful shutdown); it starts again with it.
// Lost: its host is gone (no hosts/<id>) since lostSince; it resumes there if the host comes back
// within the type's hostLossGraceSeconds. Abandoned: the grace ended and the replica was made anew
// elsewhere; kept and reported, never started again unless an operator says so. Purging: an
// operator forgot it and asked its host to remove its data (servicesctl forget --purge-data); its
// host's manager removes the data directory, then the record.
enum class PersistentState { Running, Stopped, Lost, Abandoned, Purging };
// "running" | "stopped" | "lost" | "abandoned" | "purging"
std::string_view persistentStateName(PersistentState state);
std::optional<PersistentState> parsePersistentState(std::string_view name);

// Data of services/<type>/<uuid> (PERSISTENT): what it takes to start the same identity again.
// {"format":1,"logical":3,"host","dataDir","ports":{..},"generation","created","lastStarted",
//  "lastStopped","lostSince","state"}; times in milliseconds since the Unix epoch, 0 = never.
struct PersistentServiceData {
  std::int64_t logical = 0;  // the sequence of its logical service (logicalService<10 digits>)
  std::string host;          // the host that holds its data
  std::string dataDir;       // SM_DATA_DIR on that host
  std::map<std::string, std::int64_t> ports;  // kept across starts when still free
  std::int64_t generation = 1;                // spec generation it last started from
  std::int64_t created = 0;
  std::int64_t lastStarted = 0;
  std::int64_t lastStopped = 0;
  std::int64_t lostSince = 0;  // set while Lost
  PersistentState state = PersistentState::Running;
  bool operator==(const PersistentServiceData&) const = default;
};

std::string encodePersistentServiceData(const PersistentServiceData& data);
Result<PersistentServiceData> decodePersistentServiceData(std::string_view data,
                                                          std::string_view znodePath);

}  // namespace sm::config

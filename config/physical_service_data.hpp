#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "config/result.hpp"

namespace sm::config {

// Restarting: its process ended and its manager restarts it in place (same uuid, ports and files)
// after a backoff; pid is 0 until the new process runs, and it is in no election meanwhile.
enum class PhysicalState { Starting, Running, Stopping, Restarting };
// "starting" | "running" | "stopping" | "restarting"
std::string_view physicalStateName(PhysicalState state);
std::optional<PhysicalState> parsePhysicalState(std::string_view name);

// Data of .../physicalServices/physicalService<uuid> (ephemeral, owned by the running manager):
// {"format":1,"host","pid","ports":{"http":8080},"started","generation","state"[,"address"]}.
struct PhysicalServiceData {
  std::string host;  // host id of the manager that runs it
  std::int64_t pid = 0;
  std::map<std::string, std::int64_t> ports;  // port name -> number
  std::int64_t started = 0;                   // milliseconds since the Unix epoch
  std::int64_t generation = 1;                // spec generation the process was started from
  PhysicalState state = PhysicalState::Starting;
  // Where its host's services are reached (HostData::address), so that peers need not read the
  // host's node (flat placement); optional in the document, "" = ask the host's node.
  std::string address = {};
  bool operator==(const PhysicalServiceData&) const = default;
};

std::string encodePhysicalServiceData(const PhysicalServiceData& data);
Result<PhysicalServiceData> decodePhysicalServiceData(std::string_view data,
                                                      std::string_view znodePath);

}  // namespace sm::config

#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/result.hpp"

namespace sm::config {

// One thing a daemon did or saw, for `servicesctl events` and `describe`. Data of
// events/event-<seq> (PERSISTENT_SEQUENTIAL, a bounded history trimmed by one holder), one event:
// {"format":1,"time":<ms>,"host":"h1","kind":"master","type":"Demo"[,"logical":1][,"uuid":"..."],
//  "message":"..."[,"epoch":7,"previousEpoch":6][,"handoffMs":12]}
// or several that one daemon wrote together, oldest first, each with the same fields:
// {"format":1,"events":[{"time":<ms>,"host":"h1","kind":"placed",...},...]}.
// kind is free text so that a newer daemon may add kinds; the known ones are below.
struct EventData {
  std::int64_t time = 0;  // ms since the epoch
  std::string host;       // the daemon's host id that wrote it
  std::string kind;
  std::string type;                     // service type, may be empty for a host-wide event
  std::optional<std::int64_t> logical;  // logical service sequence
  std::string uuid;                     // physical service, may be empty
  std::string message;
  // kind "master": the election epoch this instance was told master in, the one before it, and
  // the time from the predecessor being gone to the instance being told master, when known.
  std::optional<std::int64_t> epoch;
  std::optional<std::int64_t> previousEpoch;
  std::optional<std::int64_t> handoffMs;
  bool operator==(const EventData&) const = default;
};

namespace event_kind {
inline constexpr std::string_view kPlaced = "placed";
inline constexpr std::string_view kExited = "exited";
inline constexpr std::string_view kRestarted = "restarted";
inline constexpr std::string_view kCrashLoop = "crash-loop";
inline constexpr std::string_view kUnhealthy = "unhealthy";
inline constexpr std::string_view kMaster = "master";
inline constexpr std::string_view kRefused = "refused";
inline constexpr std::string_view kSwitchover = "switchover";
inline constexpr std::string_view kDrain = "drain";
inline constexpr std::string_view kPaused = "paused";
// spec.promotion: a candidate handed its turn to a fresher secondary, or holds (maxLag).
inline constexpr std::string_view kPromotion = "promotion";
inline constexpr std::string_view kOperator = "operator";  // written by servicesctl
}  // namespace event_kind

// A node of one event (servicesctl's operator events).
std::string encodeEventData(const EventData& data);
// A node of several (one event: encodeEventData's document).
std::string encodeEvents(const std::vector<EventData>& events);
// Either form of an event node, its events oldest first. One field wrong anywhere refuses the
// node, named with the field's path (events[3].time).
Result<std::vector<EventData>> decodeEvents(std::string_view data, std::string_view znodePath);

}  // namespace sm::config

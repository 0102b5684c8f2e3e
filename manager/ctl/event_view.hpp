#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/event_data.hpp"
#include "manager/model/cluster_snapshot.hpp"

namespace sm::ctl {

// OBJECT of an event, as kubectl names one: "Demo/3 0f8fad5b" (type/logical, then the instance's
// uuid shortened), "Demo/3", "Demo", or "-" for a host-wide one.
std::string eventObject(const config::EventData& event, bool fullUuid = false);
// kubectl get events: TIME, AGE, HOST, KIND, OBJECT, MESSAGE; undecodable ones say so.
std::string eventsTable(const std::vector<model::EventView>& events, std::int64_t nowMs,
                        bool headers = true);
// The document of -o json|yaml: every field, time as ms and as UTC text.
nlohmann::ordered_json eventJson(const model::EventView& event);

}  // namespace sm::ctl

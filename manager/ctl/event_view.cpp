#include "manager/ctl/event_view.hpp"

#include <fmt/format.h>

#include "manager/ctl/table.hpp"

namespace sm::ctl {

namespace {
constexpr std::size_t kShortUuid = 8;
constexpr std::size_t kMessageChars = 120;
}  // namespace

std::string eventObject(const config::EventData& event, bool fullUuid) {
  if (event.type.empty()) return "-";
  std::string object = event.type;
  if (event.logical) object += fmt::format("/{}", *event.logical);
  if (!event.uuid.empty()) {
    object += " " + (fullUuid ? event.uuid : event.uuid.substr(0, kShortUuid));
  }
  return object;
}

std::string eventsTable(const std::vector<model::EventView>& events, std::int64_t nowMs,
                        bool headers) {
  Table table({"TIME", "AGE", "HOST", "KIND", "OBJECT", "MESSAGE"});
  for (const auto& event : events) {
    if (!event.data) {
      table.addRow({"?", "?", "?", "?", fmt::format("event-{:010}", event.sequence),
                    oneLine("cannot be read: " + event.error, kMessageChars)});
      continue;
    }
    const auto& e = *event.data;
    table.addRow({formatTime(e.time), formatAge(nowMs - e.time), e.host.empty() ? "-" : e.host,
                  e.kind, eventObject(e), oneLine(e.message, kMessageChars)});
  }
  auto text = table.render();
  if (!headers) {
    // --follow prints the header once; later rows alone (columns sized per batch).
    const auto newline = text.find('\n');
    text = newline == std::string::npos ? std::string() : text.substr(newline + 1);
  }
  return text;
}

nlohmann::ordered_json eventJson(const model::EventView& event) {
  nlohmann::ordered_json j;
  j["sequence"] = event.sequence;
  j["index"] = event.index;
  if (!event.data) {
    j["problem"] = event.error;
    return j;
  }
  const auto& e = *event.data;
  j["time"] = formatTime(e.time);
  j["timeMs"] = e.time;
  j["host"] = e.host;
  j["kind"] = e.kind;
  j["type"] = e.type;
  if (e.logical) j["logical"] = *e.logical;
  if (!e.uuid.empty()) j["uuid"] = e.uuid;
  j["message"] = e.message;
  if (e.epoch) j["epoch"] = *e.epoch;
  if (e.previousEpoch) j["previousEpoch"] = *e.previousEpoch;
  if (e.handoffMs) j["handoffMs"] = *e.handoffMs;
  return j;
}

}  // namespace sm::ctl

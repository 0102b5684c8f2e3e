#include "config/event_data.hpp"

#include "config/detail/znode_json.hpp"
#include "config/limits.hpp"

namespace sm::config {

namespace {
constexpr IntRange kSequenceRange{0, kMaxSafeInteger};
constexpr IntRange kEpochRange{0, kMaxSafeInteger};
constexpr IntRange kDurationRange{0, kMaxSafeInteger};

void putEvent(detail::OrderedJson& j, const EventData& data) {
  j["time"] = data.time;
  j["host"] = data.host;
  j["kind"] = data.kind;
  j["type"] = data.type;
  if (data.logical) j["logical"] = *data.logical;
  if (!data.uuid.empty()) j["uuid"] = data.uuid;
  j["message"] = data.message;
  if (data.epoch) j["epoch"] = *data.epoch;
  if (data.previousEpoch) j["previousEpoch"] = *data.previousEpoch;
  if (data.handoffMs) j["handoffMs"] = *data.handoffMs;
}

EventData readEvent(detail::NodeReader& r, const detail::MapFields& f) {
  EventData out;
  if (r.require(f, "time")) {
    if (auto v = r.integer(f, "time", kTimestampMsRange)) out.time = *v;
  }
  if (r.require(f, "kind")) {
    if (auto v = r.string(f, "kind")) out.kind = *v;
  }
  if (auto v = r.string(f, "host")) out.host = *v;
  if (auto v = r.string(f, "type")) out.type = *v;
  if (auto v = r.integer(f, "logical", kSequenceRange)) out.logical = *v;
  if (auto v = r.string(f, "uuid")) out.uuid = *v;
  if (auto v = r.string(f, "message")) out.message = *v;
  if (auto v = r.integer(f, "epoch", kEpochRange)) out.epoch = *v;
  if (auto v = r.integer(f, "previousEpoch", kEpochRange)) out.previousEpoch = *v;
  if (auto v = r.integer(f, "handoffMs", kDurationRange)) out.handoffMs = *v;
  return out;
}
}  // namespace

std::string encodeEventData(const EventData& data) {
  auto j = detail::newDocument();
  putEvent(j, data);
  return detail::dump(j);
}

std::string encodeEvents(const std::vector<EventData>& events) {
  if (events.size() == 1) return encodeEventData(events.front());
  auto j = detail::newDocument();
  auto& list = j["events"] = detail::OrderedJson::array();
  for (const auto& event : events) {
    detail::OrderedJson item = detail::OrderedJson::object();
    putEvent(item, event);
    list.push_back(std::move(item));
  }
  return detail::dump(j);
}

Result<std::vector<EventData>> decodeEvents(std::string_view data, std::string_view znodePath) {
  return detail::decodeDocument<std::vector<EventData>>(
      // No list of known keys: every key is taken, those not read are ignored (newer writers).
      data, znodePath, {}, detail::UnknownKeys::Ignore,
      [](detail::NodeReader& r, const detail::MapFields& f) {
        std::vector<EventData> out;
        if (!f.find("events")) {
          out.push_back(readEvent(r, f));
          return out;
        }
        r.list(f, "events", [&](const YAML::Node& item, const std::string& path) {
          auto m = r.mapping(item, path, {}, detail::UnknownKeys::Ignore);
          if (m) out.push_back(readEvent(r, *m));
        });
        return out;
      });
}

}  // namespace sm::config

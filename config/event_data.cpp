#include "config/event_data.hpp"

#include "config/detail/znode_json.hpp"
#include "config/limits.hpp"

namespace sm::config {

namespace {
constexpr IntRange kSequenceRange{0, kMaxSafeInteger};
constexpr IntRange kEpochRange{0, kMaxSafeInteger};
constexpr IntRange kDurationRange{0, kMaxSafeInteger};
}  // namespace

std::string encodeEventData(const EventData& data) {
  auto j = detail::newDocument();
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
  return detail::dump(j);
}

Result<EventData> decodeEventData(std::string_view data, std::string_view znodePath) {
  return detail::decodeDocument<EventData>(
      data, znodePath,
      {"format", "time", "host", "kind", "type", "logical", "uuid", "message", "epoch",
       "previousEpoch", "handoffMs"},
      detail::UnknownKeys::Ignore, [](detail::NodeReader& r, const detail::MapFields& f) {
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
      });
}

}  // namespace sm::config

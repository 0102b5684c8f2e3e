#include "config/host_data.hpp"

#include "config/detail/znode_json.hpp"
#include "config/limits.hpp"
#include "config/names.hpp"

namespace sm::config {
namespace {
constexpr IntRange kCountRange{0, 1'000'000};
}

std::string encodeHostData(const HostData& data) {
  auto j = detail::newDocument();
  j["labels"] = data.labels;
  j["capacity"] = {{"cpus", data.capacity.cpus},
                   {"memoryMB", data.capacity.memoryMB},
                   {"freeMemoryMB", data.capacity.freeMemoryMB}};
  j["load"] = data.load;
  j["running"] = data.running;
  j["version"] = data.version;
  j["started"] = data.started;
  if (!data.address.empty()) j["address"] = data.address;
  if (!data.http.empty()) j["http"] = data.http;
  if (!data.cooldowns.empty()) {
    j["cooldowns"] = detail::OrderedJson::array();
    for (const auto& c : data.cooldowns) {
      j["cooldowns"].push_back({{"type", c.type}, {"until", c.until}, {"reason", c.reason}});
    }
  }
  return detail::dump(j);
}

Result<HostData> decodeHostData(std::string_view data, std::string_view znodePath) {
  return detail::decodeDocument<HostData>(
      data, znodePath,
      {"format", "labels", "capacity", "load", "running", "version", "started", "cooldowns",
       "address", "http"},
      detail::UnknownKeys::Ignore, [](detail::NodeReader& r, const detail::MapFields& f) {
        HostData out;
        for (auto key : {"labels", "capacity", "load", "running", "version", "started"})
          r.require(f, key);
        if (auto v = r.stringMap(f, "labels", checkLabelKey, checkLabelValue)) out.labels = *v;
        if (auto c = r.mappingField(f, "capacity", {"cpus", "memoryMB", "freeMemoryMB"},
                                    detail::UnknownKeys::Ignore)) {
          for (auto key : {"cpus", "memoryMB", "freeMemoryMB"}) r.require(*c, key);
          if (auto v = r.integer(*c, "cpus", kCountRange)) out.capacity.cpus = *v;
          if (auto v = r.integer(*c, "memoryMB", kMemoryMBRange)) out.capacity.memoryMB = *v;
          if (auto v = r.integer(*c, "freeMemoryMB", kMemoryMBRange))
            out.capacity.freeMemoryMB = *v;
        }
        if (auto v = r.number(f, "load", 0.0, kMaxLoadAverageLimit)) out.load = *v;
        if (auto v = r.integer(f, "running", kCountRange)) out.running = *v;
        if (auto v = r.string(f, "version")) out.version = *v;
        if (auto v = r.integer(f, "started", kTimestampMsRange)) out.started = *v;
        if (auto v = r.string(f, "address")) out.address = *v;
        if (auto v = r.string(f, "http")) out.http = *v;
        r.list(f, "cooldowns", [&](const YAML::Node& item, const std::string& path) {
          auto m = r.mapping(item, path, {"type", "until", "reason"}, detail::UnknownKeys::Ignore);
          if (!m) return;
          for (auto key : {"type", "until", "reason"}) r.require(*m, key);
          auto type = r.string(*m, "type", checkServiceTypeName);
          auto until = r.integer(*m, "until", kTimestampMsRange);
          auto reason = r.string(*m, "reason");
          if (type && until && reason) out.cooldowns.push_back({*type, *until, *reason});
        });
        return out;
      });
}

}  // namespace sm::config

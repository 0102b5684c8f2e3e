#include "config/status_data.hpp"

#include "config/detail/znode_json.hpp"
#include "config/limits.hpp"
#include "config/names.hpp"

namespace sm::config {
namespace {
constexpr IntRange kCountRange{0, 1'000'000};
}

std::string encodeStatusData(const StatusData& data) {
  auto j = detail::newDocument();
  j["updated"] = data.updated;
  j["wanted"] = data.wanted;
  j["registered"] = data.registered;
  j["reason"] = data.reason;
  j["hosts"] = detail::OrderedJson::array();
  for (const auto& h : data.hosts) j["hosts"].push_back({{"host", h.host}, {"reason", h.reason}});
  j["failures"] = detail::OrderedJson::array();
  for (const auto& f : data.failures) {
    j["failures"].push_back({{"time", f.time}, {"host", f.host}, {"message", f.message}});
  }
  return detail::dump(j);
}

Result<StatusData> decodeStatusData(std::string_view data, std::string_view znodePath) {
  return detail::decodeDocument<StatusData>(
      data, znodePath, {"format", "updated", "wanted", "registered", "reason", "hosts", "failures"},
      detail::UnknownKeys::Ignore, [](detail::NodeReader& r, const detail::MapFields& f) {
        StatusData out;
        for (auto key : {"updated", "wanted", "registered", "reason", "hosts", "failures"})
          r.require(f, key);
        if (auto v = r.integer(f, "updated", kTimestampMsRange)) out.updated = *v;
        if (auto v = r.integer(f, "wanted", kCountRange)) out.wanted = *v;
        if (auto v = r.integer(f, "registered", kCountRange)) out.registered = *v;
        if (auto v = r.string(f, "reason")) out.reason = *v;
        r.list(f, "hosts", [&](const YAML::Node& item, const std::string& path) {
          auto m = r.mapping(item, path, {"host", "reason"}, detail::UnknownKeys::Ignore);
          if (!m || !r.require(*m, "host") || !r.require(*m, "reason")) return;
          auto host = r.string(*m, "host", checkHostId);
          auto reason = r.string(*m, "reason");
          if (host && reason) out.hosts.push_back({*host, *reason});
        });
        r.list(f, "failures", [&](const YAML::Node& item, const std::string& path) {
          auto m = r.mapping(item, path, {"time", "host", "message"}, detail::UnknownKeys::Ignore);
          if (!m) return;
          for (auto key : {"time", "host", "message"}) r.require(*m, key);
          auto time = r.integer(*m, "time", kTimestampMsRange);
          auto host = r.string(*m, "host", checkHostId);
          auto message = r.string(*m, "message");
          if (time && host && message) out.failures.push_back({*time, *host, *message});
        });
        return out;
      });
}

}  // namespace sm::config

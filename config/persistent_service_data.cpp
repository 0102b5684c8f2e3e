#include "config/persistent_service_data.hpp"

#include "config/detail/znode_json.hpp"
#include "config/limits.hpp"
#include "config/names.hpp"

namespace sm::config {

namespace {
constexpr PersistentState kStates[] = {PersistentState::Running, PersistentState::Stopped,
                                       PersistentState::Lost, PersistentState::Abandoned,
                                       PersistentState::Purging};
constexpr IntRange kLogicalSequenceRange{0, 9'999'999'999};
}  // namespace

std::string_view persistentStateName(PersistentState state) {
  switch (state) {
    case PersistentState::Running:
      return "running";
    case PersistentState::Stopped:
      return "stopped";
    case PersistentState::Lost:
      return "lost";
    case PersistentState::Abandoned:
      return "abandoned";
    case PersistentState::Purging:
      return "purging";
  }
  return "running";
}

std::optional<PersistentState> parsePersistentState(std::string_view name) {
  for (auto s : kStates) {
    if (persistentStateName(s) == name) return s;
  }
  return std::nullopt;
}

std::string encodePersistentServiceData(const PersistentServiceData& data) {
  auto j = detail::newDocument();
  j["logical"] = data.logical;
  j["host"] = data.host;
  j["dataDir"] = data.dataDir;
  j["ports"] = data.ports;
  j["generation"] = data.generation;
  j["created"] = data.created;
  j["lastStarted"] = data.lastStarted;
  j["lastStopped"] = data.lastStopped;
  j["lostSince"] = data.lostSince;
  j["state"] = std::string(persistentStateName(data.state));
  return detail::dump(j);
}

Result<PersistentServiceData> decodePersistentServiceData(std::string_view data,
                                                          std::string_view znodePath) {
  return detail::decodeDocument<PersistentServiceData>(
      data, znodePath,
      {"format", "logical", "host", "dataDir", "ports", "generation", "created", "lastStarted",
       "lastStopped", "lostSince", "state"},
      detail::UnknownKeys::Ignore, [](detail::NodeReader& r, const detail::MapFields& f) {
        PersistentServiceData out;
        for (auto key : {"logical", "host", "dataDir", "generation", "created", "state"})
          r.require(f, key);
        if (auto v = r.integer(f, "logical", kLogicalSequenceRange)) out.logical = *v;
        if (auto v = r.string(f, "host", checkHostId)) out.host = *v;
        if (auto v = r.string(f, "dataDir", [](std::string_view p) -> std::optional<std::string> {
              if (p.empty() || p[0] != '/') return "must be an absolute path";
              return std::nullopt;
            })) {
          out.dataDir = *v;
        }
        if (auto v = r.integerMap(f, "ports", checkPortName, kPortNumberRange)) out.ports = *v;
        if (auto v = r.integer(f, "generation", kGenerationRange)) out.generation = *v;
        if (auto v = r.integer(f, "created", kTimestampMsRange)) out.created = *v;
        if (auto v = r.integer(f, "lastStarted", kTimestampMsRange)) out.lastStarted = *v;
        if (auto v = r.integer(f, "lastStopped", kTimestampMsRange)) out.lastStopped = *v;
        if (auto v = r.integer(f, "lostSince", kTimestampMsRange)) out.lostSince = *v;
        auto state = r.string(f, "state", [](std::string_view s) -> std::optional<std::string> {
          if (!parsePersistentState(s)) {
            return "must be one of running, stopped, lost, abandoned, purging";
          }
          return std::nullopt;
        });
        if (state) out.state = *parsePersistentState(*state);
        return out;
      });
}

}  // namespace sm::config

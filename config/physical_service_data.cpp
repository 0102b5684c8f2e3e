#include "config/physical_service_data.hpp"

#include "config/detail/znode_json.hpp"
#include "config/limits.hpp"
#include "config/names.hpp"

namespace sm::config {

std::string_view physicalStateName(PhysicalState state) {
  switch (state) {
    case PhysicalState::Starting:
      return "starting";
    case PhysicalState::Running:
      return "running";
    case PhysicalState::Stopping:
      return "stopping";
    case PhysicalState::Restarting:
      return "restarting";
  }
  return "starting";
}

std::optional<PhysicalState> parsePhysicalState(std::string_view name) {
  for (auto s : {PhysicalState::Starting, PhysicalState::Running, PhysicalState::Stopping,
                 PhysicalState::Restarting}) {
    if (physicalStateName(s) == name) return s;
  }
  return std::nullopt;
}

std::string encodePhysicalServiceData(const PhysicalServiceData& data) {
  auto j = detail::newDocument();
  j["host"] = data.host;
  j["pid"] = data.pid;
  j["ports"] = data.ports;
  j["started"] = data.started;
  j["generation"] = data.generation;
  j["state"] = std::string(physicalStateName(data.state));
  if (!data.address.empty()) j["address"] = data.address;
  return detail::dump(j);
}

Result<PhysicalServiceData> decodePhysicalServiceData(std::string_view data,
                                                      std::string_view znodePath) {
  return detail::decodeDocument<PhysicalServiceData>(
      data, znodePath, {"format", "host", "pid", "ports", "started", "generation", "state", "address"},
      detail::UnknownKeys::Ignore, [](detail::NodeReader& r, const detail::MapFields& f) {
        PhysicalServiceData out;
        for (auto key : {"host", "pid", "ports", "started", "generation", "state"})
          r.require(f, key);
        if (auto v = r.string(f, "host", checkHostId)) out.host = *v;
        if (auto v = r.integer(f, "pid", kPidOrNoneRange)) out.pid = *v;
        if (auto v = r.integerMap(f, "ports", checkPortName, kPortNumberRange)) out.ports = *v;
        if (auto v = r.integer(f, "started", kTimestampMsRange)) out.started = *v;
        if (auto v = r.integer(f, "generation", kGenerationRange)) out.generation = *v;
        auto state = r.string(f, "state", [](std::string_view s) -> std::optional<std::string> {
          if (!parsePhysicalState(s)) return "must be one of starting, running, stopping, restarting";
          return std::nullopt;
        });
        if (state) out.state = *parsePhysicalState(*state);
        if (auto v = r.string(f, "address")) out.address = *v;
        return out;
      });
}

}  // namespace sm::config

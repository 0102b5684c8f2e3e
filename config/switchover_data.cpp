#include "config/switchover_data.hpp"

#include "config/detail/znode_json.hpp"
#include "config/limits.hpp"
#include "config/names.hpp"

namespace sm::config {

std::string encodeSwitchoverData(const SwitchoverData& data) {
  auto j = detail::newDocument();
  j["target"] = data.target;
  j["from"] = data.from;
  j["created"] = data.created;
  j["deadline"] = data.deadline;
  if (data.force) j["force"] = true;
  if (!data.reason.empty()) j["reason"] = data.reason;
  return detail::dump(j);
}

Result<SwitchoverData> decodeSwitchoverData(std::string_view data, std::string_view znodePath) {
  return detail::decodeDocument<SwitchoverData>(
      data, znodePath, {"format", "target", "from", "created", "deadline", "force", "reason"},
      detail::UnknownKeys::Ignore, [](detail::NodeReader& r, const detail::MapFields& f) {
        SwitchoverData out;
        if (r.require(f, "target")) {
          if (auto v = r.string(f, "target", checkUuid)) out.target = *v;
        }
        if (auto v = r.string(f, "from")) out.from = *v;
        if (r.require(f, "created")) {
          if (auto v = r.integer(f, "created", kTimestampMsRange)) out.created = *v;
        }
        if (r.require(f, "deadline")) {
          if (auto v = r.integer(f, "deadline", kTimestampMsRange)) out.deadline = *v;
        }
        if (auto v = r.boolean(f, "force")) out.force = *v;
        if (auto v = r.string(f, "reason")) out.reason = *v;
        return out;
      });
}

}  // namespace sm::config

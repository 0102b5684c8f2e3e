#include "config/pause_data.hpp"

#include "config/detail/znode_json.hpp"
#include "config/limits.hpp"

namespace sm::config {

std::string encodePauseData(const PauseData& data) {
  auto j = detail::newDocument();
  j["since"] = data.since;
  j["reason"] = data.reason;
  return detail::dump(j);
}

Result<PauseData> decodePauseData(std::string_view data, std::string_view znodePath) {
  return detail::decodeDocument<PauseData>(
      data, znodePath, {"format", "since", "reason"}, detail::UnknownKeys::Ignore,
      [](detail::NodeReader& r, const detail::MapFields& f) {
        PauseData out;
        if (r.require(f, "since")) {
          if (auto v = r.integer(f, "since", kTimestampMsRange)) out.since = *v;
        }
        if (auto v = r.string(f, "reason")) out.reason = *v;
        return out;
      });
}

}  // namespace sm::config

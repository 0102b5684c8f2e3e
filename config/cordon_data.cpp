#include "config/cordon_data.hpp"

#include "config/detail/znode_json.hpp"
#include "config/limits.hpp"

namespace sm::config {

std::string encodeCordonData(const CordonData& data) {
  auto j = detail::newDocument();
  j["since"] = data.since;
  j["reason"] = data.reason;
  if (data.drain) j["drain"] = true;
  if (data.movePersistent) j["movePersistent"] = true;
  return detail::dump(j);
}

Result<CordonData> decodeCordonData(std::string_view data, std::string_view znodePath) {
  return detail::decodeDocument<CordonData>(
      data, znodePath, {"format", "since", "reason", "drain", "movePersistent"}, detail::UnknownKeys::Ignore,
      [](detail::NodeReader& r, const detail::MapFields& f) {
        CordonData out;
        if (r.require(f, "since")) {
          if (auto v = r.integer(f, "since", kTimestampMsRange)) out.since = *v;
        }
        if (auto v = r.string(f, "reason")) out.reason = *v;
        if (auto v = r.boolean(f, "drain")) out.drain = *v;
        if (auto v = r.boolean(f, "movePersistent")) out.movePersistent = *v;
        return out;
      });
}

}  // namespace sm::config

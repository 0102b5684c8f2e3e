#include "config/logical_service_data.hpp"

#include "config/detail/znode_json.hpp"
#include "config/limits.hpp"
#include "config/names.hpp"

namespace sm::config {

std::string encodeLogicalServiceData(const LogicalServiceData& data) {
  auto j = detail::newDocument();
  j["uuid"] = data.uuid;
  j["created"] = data.created;
  return detail::dump(j);
}

Result<LogicalServiceData> decodeLogicalServiceData(std::string_view data,
                                                    std::string_view znodePath) {
  return detail::decodeDocument<LogicalServiceData>(
      data, znodePath, {"format", "uuid", "created"}, detail::UnknownKeys::Ignore,
      [](detail::NodeReader& r, const detail::MapFields& f) {
        LogicalServiceData out;
        if (r.require(f, "uuid")) {
          if (auto v = r.string(f, "uuid", checkUuid)) out.uuid = *v;
        }
        if (r.require(f, "created")) {
          if (auto v = r.integer(f, "created", kTimestampMsRange)) out.created = *v;
        }
        return out;
      });
}

}  // namespace sm::config

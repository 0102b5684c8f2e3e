#include "config/create_lock_data.hpp"

#include "config/detail/znode_json.hpp"
#include "config/layout.hpp"

namespace sm::config {

std::string encodeCreateLockData(const CreateLockData& data) {
  auto j = detail::newDocument();
  j["logicalService"] = data.logicalService;
  return detail::dump(j);
}

Result<CreateLockData> decodeCreateLockData(std::string_view data, std::string_view znodePath) {
  return detail::decodeDocument<CreateLockData>(
      data, znodePath, {"format", "logicalService"}, detail::UnknownKeys::Ignore,
      [](detail::NodeReader& r, const detail::MapFields& f) {
        CreateLockData out;
        if (r.require(f, "logicalService")) {
          if (auto v = r.string(f, "logicalService", checkZnodePath)) out.logicalService = *v;
        }
        return out;
      });
}

}  // namespace sm::config

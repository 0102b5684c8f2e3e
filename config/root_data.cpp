#include "config/root_data.hpp"

#include "config/detail/znode_json.hpp"
#include "config/names.hpp"

namespace sm::config {

std::string federationName(const Layout& layout) {
  std::string name(Layout::childName(layout.root()));
  return isValidServiceTypeName(name) ? name : "servicesmgr";
}

std::string encodeRootData(const RootData& data) {
  auto j = detail::newDocument();
  j["federation"] = data.federation;
  return detail::dump(j);
}

Result<RootData> decodeRootData(std::string_view data, std::string_view znodePath) {
  return detail::decodeDocument<RootData>(
      data, znodePath, {"format", "federation"}, detail::UnknownKeys::Ignore,
      [](detail::NodeReader& r, const detail::MapFields& f) {
        RootData out;
        if (r.require(f, "federation")) {
          if (auto v = r.string(f, "federation", checkServiceTypeName)) {
            out.federation = *v;
          }
        }
        return out;
      });
}

}  // namespace sm::config

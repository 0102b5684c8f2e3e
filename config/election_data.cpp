#include "config/election_data.hpp"

#include "config/detail/znode_json.hpp"
#include "config/names.hpp"

namespace sm::config {

std::string encodeElectionData(const ElectionData& data) {
  auto j = detail::newDocument();
  j["physical"] = data.physical;
  j["host"] = data.host;
  return detail::dump(j);
}

Result<ElectionData> decodeElectionData(std::string_view data, std::string_view znodePath) {
  return detail::decodeDocument<ElectionData>(
      data, znodePath, {"format", "physical", "host"}, detail::UnknownKeys::Ignore,
      [](detail::NodeReader& r, const detail::MapFields& f) {
        ElectionData out;
        if (r.require(f, "physical")) {
          if (auto v = r.string(f, "physical", checkUuid)) out.physical = *v;
        }
        if (r.require(f, "host")) {
          if (auto v = r.string(f, "host", checkHostId)) out.host = *v;
        }
        return out;
      });
}

}  // namespace sm::config

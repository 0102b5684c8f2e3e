#include "config/assignment_data.hpp"

#include "config/detail/znode_json.hpp"
#include "config/limits.hpp"

namespace sm::config {

std::string encodeAssignmentData(const AssignmentData& data) {
  auto j = detail::newDocument();
  j["assigned"] = data.assigned;
  j["delayMs"] = data.delayMs;
  return detail::dump(j);
}

Result<AssignmentData> decodeAssignmentData(std::string_view data, std::string_view znodePath) {
  return detail::decodeDocument<AssignmentData>(
      data, znodePath, {"format", "assigned", "delayMs"}, detail::UnknownKeys::Ignore,
      [](detail::NodeReader& r, const detail::MapFields& f) {
        AssignmentData out;
        if (r.require(f, "assigned")) {
          if (auto v = r.integer(f, "assigned", kTimestampMsRange)) out.assigned = *v;
        }
        if (r.require(f, "delayMs")) {
          if (auto v = r.integer(f, "delayMs", kDelayMsRange)) out.delayMs = *v;
        }
        return out;
      });
}

}  // namespace sm::config

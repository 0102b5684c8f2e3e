#include "config/assignment_data.hpp"

#include <fmt/format.h>

#include "config/detail/znode_json.hpp"
#include "config/limits.hpp"

namespace sm::config {

namespace {
constexpr IntRange kSequenceRange{0, kMaxSafeInteger};
constexpr IntRange kReplicasRange{0, kMaxSafeInteger};
}  // namespace

std::string encodeAssignmentsData(const AssignmentsData& data) {
  auto j = detail::newDocument();
  auto& list = j["named"] = detail::OrderedJson::array();
  for (const auto& [sequence, named] : data.named) {
    detail::OrderedJson item = detail::OrderedJson::object();
    item["logicalService"] = sequence;
    item["assigned"] = named.assigned;
    item["delayMs"] = named.delayMs;
    item["replicas"] = named.replicas;
    list.push_back(std::move(item));
  }
  return detail::dump(j);
}

Result<AssignmentsData> decodeAssignmentsData(std::string_view data, std::string_view znodePath) {
  return detail::decodeDocument<AssignmentsData>(
      data, znodePath, {"format", "named"}, detail::UnknownKeys::Ignore,
      [](detail::NodeReader& r, const detail::MapFields& f) {
        AssignmentsData out;
        if (!r.require(f, "named")) return out;
        r.list(f, "named", [&](const YAML::Node& item, const std::string& path) {
          auto m = r.mapping(item, path, {"logicalService", "assigned", "delayMs", "replicas"},
                             detail::UnknownKeys::Ignore);
          if (!m) return;
          AssignmentData entry;
          std::optional<std::int64_t> sequence;
          if (r.require(*m, "logicalService")) {
            sequence = r.integer(*m, "logicalService", kSequenceRange);
          }
          if (r.require(*m, "assigned")) {
            if (auto v = r.integer(*m, "assigned", kTimestampMsRange)) entry.assigned = *v;
          }
          if (r.require(*m, "delayMs")) {
            if (auto v = r.integer(*m, "delayMs", kDelayMsRange)) entry.delayMs = *v;
          }
          if (auto v = r.integer(*m, "replicas", kReplicasRange)) entry.replicas = *v;
          if (!sequence) return;
          if (!out.named.emplace(*sequence, entry).second) {
            r.error(item, m->pathOf("logicalService"),
                    fmt::format("logical service {} is named twice", *sequence));
          }
        });
        return out;
      });
}

}  // namespace sm::config

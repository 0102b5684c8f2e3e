#include "config/election_data.hpp"

#include "config/detail/znode_json.hpp"
#include "config/limits.hpp"
#include "config/names.hpp"

namespace sm::config {

std::string encodeElectionData(const ElectionData& data) {
  auto j = detail::newDocument();
  j["physical"] = data.physical;
  j["host"] = data.host;
  if (data.round) {
    j["round"] = *data.round;
    if (data.score) j["score"] = *data.score;
    if (!data.scoreError.empty()) j["scoreError"] = data.scoreError;
    j["scoredAt"] = data.scoredAt;
  }
  if (!data.held.empty()) j["held"] = data.held;
  if (data.master) j["master"] = true;
  return detail::dump(j);
}

Result<ElectionData> decodeElectionData(std::string_view data, std::string_view znodePath) {
  return detail::decodeDocument<ElectionData>(
      data, znodePath,
      {"format", "physical", "host", "round", "score", "scoreError", "scoredAt", "held", "master"},
      detail::UnknownKeys::Ignore, [](detail::NodeReader& r, const detail::MapFields& f) {
        ElectionData out;
        if (r.require(f, "physical")) {
          if (auto v = r.string(f, "physical", checkUuid)) out.physical = *v;
        }
        if (r.require(f, "host")) {
          if (auto v = r.string(f, "host", checkHostId)) out.host = *v;
        }
        if (auto v = r.integer(f, "round", kTimestampMsRange)) out.round = *v;
        if (auto v = r.integer(f, "score", kScoreRange)) out.score = *v;
        if (auto v = r.string(f, "scoreError")) out.scoreError = *v;
        if (auto v = r.integer(f, "scoredAt", kTimestampMsRange)) out.scoredAt = *v;
        if (auto v = r.string(f, "held")) out.held = *v;
        if (auto v = r.boolean(f, "master")) out.master = *v;
        return out;
      });
}

}  // namespace sm::config

#include "config/lock_contender_data.hpp"

#include "config/detail/znode_json.hpp"
#include "config/names.hpp"

namespace sm::config {
namespace {
constexpr double kMaxScoreMagnitude = 1e15;
}

std::string encodeLockContenderData(const LockContenderData& data) {
  auto j = detail::newDocument();
  j["host"] = data.host;
  if (data.score) j["score"] = *data.score;
  return detail::dump(j);
}

Result<LockContenderData> decodeLockContenderData(std::string_view data,
                                                  std::string_view znodePath) {
  return detail::decodeDocument<LockContenderData>(
      data, znodePath, {"format", "host", "score"}, detail::UnknownKeys::Ignore,
      [](detail::NodeReader& r, const detail::MapFields& f) {
        LockContenderData out;
        if (r.require(f, "host")) {
          if (auto v = r.string(f, "host", checkHostId)) out.host = *v;
        }
        out.score = r.number(f, "score", -kMaxScoreMagnitude, kMaxScoreMagnitude);
        return out;
      });
}

}  // namespace sm::config

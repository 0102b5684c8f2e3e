#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sm::daemon {

// What a promotion score hook said (spec.promotion.score): one integer on its output, higher =
// fresher. Anything else — a failed or timed-out run, no output, garbage, a number no JSON reader
// holds exactly — is "no score", with the reason. Pure.
struct ScoreReading {
  std::optional<std::int64_t> score;
  std::string error;  // why there is no score; empty with a score
  bool operator==(const ScoreReading&) const = default;
};

// `ok`/`detail`: how the hook ended; `output`: its stdout (the first bytes of it), `truncated`
// when there was more.
ScoreReading readScore(bool ok, std::string_view detail, std::string_view output, bool truncated);

}  // namespace sm::daemon

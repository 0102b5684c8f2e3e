#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "config/result.hpp"

namespace sm::config {

// Data of .../election/lock-<uuid>-<seq>: {"format":1,"physical":"<uuid>","host":"<hostId>"}, and,
// for a type with spec.promotion, what its manager last learned of the instance's freshness:
// [,"round":<seq>[,"score":<int>][,"scoreError":"..."],"scoredAt":<ms>][,"held":"..."]
// [,"master":true]. (The new fields have initializers, so that {physical, host} initializations
// stay free of -Wmissing-field-initializers.)
struct ElectionData {
  std::string physical;  // uuid of the physical service standing for election
  std::string host;
  // The sequence of the chain's first member when the score was taken: a candidate counts the
  // answers to its own sequence as this failover's. Unset: never scored.
  std::optional<std::int64_t> round = {};
  // Unset with a round: the hook gave no score (scoreError says why).
  std::optional<std::int64_t> score = {};
  std::string scoreError = {};
  std::int64_t scoredAt = 0;  // ms since the epoch
  // Set by a first member that is not promoted (maxLag): why the service has no master.
  std::string held = {};
  // Set once its manager told it master (a promotion type's first member may still be asking):
  // only then do the other managers point their secondaries at it.
  bool master = false;
  bool operator==(const ElectionData&) const = default;
};

std::string encodeElectionData(const ElectionData& data);
Result<ElectionData> decodeElectionData(std::string_view data, std::string_view znodePath);

}  // namespace sm::config

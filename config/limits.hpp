#pragma once

#include <cstddef>
#include <cstdint>

namespace sm::config {

// Bounds on everything read from outside. They keep a typo (replicationCount: 30000) or foreign
// data from turning into a denial of service, and they are documented in docs/configuration.md.

struct IntRange {
  std::int64_t min;
  std::int64_t max;
};

inline constexpr std::size_t kMaxYamlFileBytes = 1024 * 1024;
// Any JSON document read from a znode; ZooKeeper's own default limit (jute.maxbuffer) is just under
// 1 MiB.
inline constexpr std::size_t kMaxZnodeDataBytes = 1024 * 1024;
// An encoded ServiceType must leave room in a multi() request for the others.
inline constexpr std::size_t kMaxServiceTypeJsonBytes = 256 * 1024;
inline constexpr std::size_t kMaxJsonDepth = 32;
inline constexpr std::size_t kMaxDiagnostics = 100;

inline constexpr std::size_t kMaxNameLength = 128;  // service type names, host ids, label keys
inline constexpr std::size_t kMaxPortNameLength = 32;
inline constexpr std::size_t kMaxStringBytes = 64 * 1024;  // any other string value
inline constexpr std::size_t kMaxListItems = 1024;         // any list or map

inline constexpr IntRange kServiceCountRange{1, 10000};
inline constexpr IntRange kReplicationCountRange{1, 1000};
inline constexpr IntRange kMaxPerHostRange{1, 100000};
inline constexpr IntRange kMemoryMBRange{0, std::int64_t{1} << 40};
inline constexpr IntRange kDurationMsRange{1, 24LL * 3600 * 1000};  // backoffs, timeouts, intervals
inline constexpr IntRange kCrashLoopFailuresRange{1, 1000000};
inline constexpr IntRange kWindowSecondsRange{1, 7LL * 24 * 3600};
inline constexpr IntRange kFailureThresholdRange{1, 1000};
inline constexpr IntRange kHostLossGraceSecondsRange{0, 365LL * 24 * 3600};
inline constexpr IntRange kDelayMsRange{0, 24LL * 3600 * 1000};  // a wait that may be none
inline constexpr double kMaxLoadAverageLimit = 1e6;
inline constexpr IntRange kPromotionWaitMsRange{0, 60000};
inline constexpr IntRange kPromotionRefreshMsRange{100, 24LL * 3600 * 1000};

inline constexpr std::int64_t kMaxSafeInteger =
    (std::int64_t{1} << 53) - 1;  // exact in every JSON reader
inline constexpr IntRange kGenerationRange{1, kMaxSafeInteger};
// A promotion score (and maxLag): an integer every JSON reader holds exactly.
inline constexpr IntRange kScoreRange{-kMaxSafeInteger, kMaxSafeInteger};
inline constexpr IntRange kMaxLagRange{0, kMaxSafeInteger};
inline constexpr IntRange kTimestampMsRange{0, kMaxSafeInteger};
inline constexpr IntRange kPidRange{1, 0x7fffffff};
// A physical service restarting in place has no process for a moment: pid 0.
inline constexpr IntRange kPidOrNoneRange{0, 0x7fffffff};
inline constexpr IntRange kPortNumberRange{1, 65535};

}  // namespace sm::config

#pragma once
// The end of an instance's log file, for GET /v1/logs/<uuid>.
#include <cstdint>
#include <optional>
#include <string>

namespace sm::observe {

// At most this many lines, and at most this many bytes of them (a line may be huge), are served.
inline constexpr int kMaxTailLines = 10000;
inline constexpr std::size_t kMaxTailBytes = 1 << 20;

struct LogTail {
  std::string text;         // the last lines, each ending with '\n' (the last one may not)
  std::uint64_t endOffset;  // the file's size when read: where a follower continues
};

// The last `lines` lines of `path` (bounded by `maxBytes`); nullopt when it cannot be read.
std::optional<LogTail> readLogTail(const std::string& path, int lines,
                                   std::size_t maxBytes = kMaxTailBytes);

// What was appended to `path` since `offset` (at most `maxBytes`); a file shorter than `offset`
// was rotated, and is read from its start. nullopt when it cannot be read.
std::optional<LogTail> readLogSince(const std::string& path, std::uint64_t offset,
                                    std::size_t maxBytes = 64 * 1024);

}  // namespace sm::observe

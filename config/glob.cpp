#include "config/glob.hpp"

#include <fnmatch.h>

#include <string>

namespace sm::config {

bool globMatch(std::string_view pattern, std::string_view text) {
  // Host ids and patterns never contain NUL (names are checked), so the C strings are faithful.
  const std::string p(pattern);
  const std::string t(text);
  return ::fnmatch(p.c_str(), t.c_str(), 0) == 0;
}

std::optional<std::string> checkGlob(std::string_view pattern) {
  if (pattern.empty()) return "must not be an empty pattern";
  if (pattern.find('\0') != std::string_view::npos) return "must not contain NUL";
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '\\') {
      ++i;
      continue;
    }
    if (pattern[i] != '[') continue;
    // A bracket expression: an optional negation, then ']' is literal when first.
    std::size_t j = i + 1;
    if (j < pattern.size() && (pattern[j] == '!' || pattern[j] == '^')) ++j;
    if (j < pattern.size() && pattern[j] == ']') ++j;
    while (j < pattern.size() && pattern[j] != ']') ++j;
    if (j >= pattern.size()) return "has an unterminated '[' (write \\[ for a literal bracket)";
    i = j;
  }
  return std::nullopt;
}

}  // namespace sm::config

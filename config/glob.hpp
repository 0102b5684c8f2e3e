#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sm::config {

// Host-id globs of constraints.allowHosts / denyHosts, with fnmatch(3) semantics: '*', '?',
// '[abc]', '[a-z]', '[!a]' / '[^a]', and '\' to quote the next character.
bool globMatch(std::string_view pattern, std::string_view text);

// nullopt when the pattern is usable; rejects empty patterns and an unterminated '[' (which fnmatch
// would silently treat as a literal, so "ds[0-9" would never match what the operator meant).
std::optional<std::string> checkGlob(std::string_view pattern);

}  // namespace sm::config

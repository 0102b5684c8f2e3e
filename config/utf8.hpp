#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace sm::config {

// First offset where `text` is not well-formed UTF-8 (overlongs, surrogates and > U+10FFFF
// rejected).
std::optional<std::size_t> findInvalidUtf8(std::string_view text);

// First offset of a control character that has no place in a text file (a sign of binary data): C0
// controls other than tab, LF and CR, and DEL.
std::optional<std::size_t> findBinaryControl(std::string_view text);

}  // namespace sm::config

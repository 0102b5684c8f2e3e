#include "manager/daemon/reconcile/score_reading.hpp"

#include <fmt/format.h>

#include <charconv>

#include "config/limits.hpp"

namespace sm::daemon {

namespace {
// The output quoted in a reason: short, printable.
std::string quoted(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, 40)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  if (text.size() > 40) out += "...";
  return "\"" + out + "\"";
}

std::string_view trimmed(std::string_view s) {
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}
}  // namespace

ScoreReading readScore(bool ok, std::string_view detail, std::string_view output, bool truncated) {
  if (!ok) return {std::nullopt, fmt::format("score hook failed: {}", detail)};
  if (truncated) return {std::nullopt, "score hook printed too much (not one integer)"};
  const auto text = trimmed(output);
  if (text.empty()) return {std::nullopt, "score hook printed nothing"};
  std::int64_t value = 0;
  const auto* end = text.data() + text.size();
  const auto [next, error] = std::from_chars(text.data(), end, value);
  const bool digitsOnly = text.find_first_not_of("-0123456789") == std::string_view::npos;
  if (error == std::errc::result_out_of_range ||
      (error == std::errc() && next == end && digitsOnly &&
       (value > config::kScoreRange.max || value < config::kScoreRange.min))) {
    return {std::nullopt, fmt::format("score hook printed {}: out of range (|score| <= {})",
                                      quoted(text), config::kScoreRange.max)};
  }
  if (error != std::errc() || next != end || !digitsOnly) {
    return {std::nullopt, fmt::format("score hook printed {}: not an integer", quoted(text))};
  }
  return {value, ""};
}

}  // namespace sm::daemon

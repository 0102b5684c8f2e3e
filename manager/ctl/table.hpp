#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace sm::ctl {

// A kubectl-style table: upper-case headers, columns left-aligned and three spaces apart, no
// trailing spaces.
class Table {
 public:
  explicit Table(std::vector<std::string> headers);
  void addRow(std::vector<std::string> cells);
  bool empty() const { return rows_.empty(); }
  std::string render(const std::string& indent = "") const;

 private:
  std::vector<std::string> headers_;
  std::vector<std::vector<std::string>> rows_;
};

// kubectl's age format: 45s, 5m12s, 42m, 5h3m, 20h, 3d4h, 12d. A negative duration (skewed clocks)
// shows as 0s.
std::string formatAge(std::int64_t milliseconds);
// UTC, to the second: 2024-05-01T12:00:00Z.
std::string formatTime(std::int64_t millisecondsSinceEpoch);
// One line of at most `maxChars` characters, control characters escaped.
// Every line of `text` with `prefix` before it; each ends with a newline.
std::string prefixLines(const std::string& text, const std::string& prefix);
std::string oneLine(const std::string& text, std::size_t maxChars = 80);

}  // namespace sm::ctl

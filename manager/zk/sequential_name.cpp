#include "manager/zk/sequential_name.hpp"

#include <algorithm>
#include <charconv>

namespace sm::zk {

namespace {
constexpr size_t kSequenceDigits = 10;
}

std::string protectedNamePrefix(std::string_view prefix, std::string_view uuid) {
  std::string name(prefix);
  name += uuid;
  name += '-';
  return name;
}

std::optional<int64_t> sequenceOf(std::string_view name) {
  if (name.size() < kSequenceDigits) return std::nullopt;
  auto digits = name.substr(name.size() - kSequenceDigits);
  int64_t value = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size() || value < 0) return std::nullopt;
  return value;
}

std::vector<QueueEntry> queueOrder(const std::vector<std::string>& children,
                                   std::string_view prefix) {
  std::vector<QueueEntry> entries;
  for (const auto& child : children) {
    if (child.rfind(prefix, 0) != 0) continue;
    if (auto sequence = sequenceOf(child)) entries.push_back({child, *sequence});
  }
  std::sort(entries.begin(), entries.end(),
            [](const QueueEntry& a, const QueueEntry& b) { return a.sequence < b.sequence; });
  return entries;
}

bool removedBefore(std::string_view a, std::string_view b) {
  return sequenceOf(a).value_or(-1) > sequenceOf(b).value_or(-1);
}

void sortForRemoval(std::vector<std::string>& siblings) {
  std::stable_sort(siblings.begin(), siblings.end(), removedBefore);
}

}  // namespace sm::zk

#include "config/signals.hpp"

#include <signal.h>
#include <string.h>

#include <cctype>

namespace sm::config {
namespace {

struct KnownSignal {
  std::string name;
  int number;
};

// Built from the C library's own table (sigabbrev_np) so that the list is the real one.
const std::vector<KnownSignal>& table() {
  static const std::vector<KnownSignal> signals = [] {
    std::vector<KnownSignal> out;
    for (int n = 1; n < NSIG; ++n) {
      if (const char* abbrev = sigabbrev_np(n)) out.push_back({std::string("SIG") + abbrev, n});
    }
    return out;
  }();
  return signals;
}

}  // namespace

std::optional<std::string> canonicalSignalName(std::string_view name) {
  std::string upper;
  for (char c : name) upper += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  if (!upper.starts_with("SIG")) upper = "SIG" + upper;
  for (const auto& s : table()) {
    if (s.name == upper) return s.name;
  }
  return std::nullopt;
}

std::optional<int> signalNumber(std::string_view name) {
  auto canonical = canonicalSignalName(name);
  if (!canonical) return std::nullopt;
  for (const auto& s : table()) {
    if (s.name == *canonical) return s.number;
  }
  return std::nullopt;
}

const std::vector<std::string>& knownSignalNames() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& s : table()) out.push_back(s.name);
    return out;
  }();
  return names;
}

}  // namespace sm::config

#include "config/names.hpp"

#include <fmt/format.h>

#include "config/limits.hpp"

namespace sm::config {
namespace {

bool isAlnum(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}
bool isHex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

template <class Pred>
bool allOf(std::string_view s, Pred pred) {
  for (char c : s) {
    if (!pred(c)) return false;
  }
  return true;
}

std::optional<std::string> checkZnodeName(std::string_view s, std::size_t maxLength) {
  if (s.empty()) return "must not be empty";
  if (s.size() > maxLength) return fmt::format("must be at most {} characters", maxLength);
  if (!allOf(s, [](char c) { return isAlnum(c) || c == '.' || c == '_' || c == '-'; })) {
    return "may contain only letters, digits, '.', '_' and '-'";
  }
  if (s == "." || s == "..") return "must not be \".\" or \"..\"";
  return std::nullopt;
}

bool labelChar(char c) {
  return isAlnum(c) || c == '.' || c == '_' || c == '-' || c == '/';
}

}  // namespace

std::optional<std::string> checkServiceTypeName(std::string_view name) {
  return checkZnodeName(name, kMaxNameLength);
}

std::optional<std::string> checkLockName(std::string_view name) {
  return checkZnodeName(name, kMaxNameLength);
}

std::optional<std::string> checkHostId(std::string_view hostId) {
  return checkZnodeName(hostId, 253);
}

std::optional<std::string> checkPortName(std::string_view port) {
  if (port.empty()) return "must not be empty";
  if (port.size() > kMaxPortNameLength) {
    return fmt::format("must be at most {} characters", kMaxPortNameLength);
  }
  if (!allOf(port, [](char c) { return isAlnum(c) || c == '_'; })) {
    return "may contain only letters, digits and '_' (it becomes the variable SM_PORT_<NAME>)";
  }
  return std::nullopt;
}

std::optional<std::string> checkEnvName(std::string_view name) {
  if (name.empty()) return "must not be empty";
  if (name.size() > kMaxNameLength)
    return fmt::format("must be at most {} characters", kMaxNameLength);
  if ((name[0] >= '0' && name[0] <= '9') ||
      !allOf(name, [](char c) { return isAlnum(c) || c == '_'; })) {
    return "must be a valid environment variable name ([A-Za-z_][A-Za-z0-9_]*)";
  }
  if (name.starts_with("SM_")) return "names starting with SM_ are reserved for the manager";
  return std::nullopt;
}

std::optional<std::string> checkLabelKey(std::string_view key) {
  if (key.empty()) return "must not be empty";
  if (key.size() > kMaxNameLength)
    return fmt::format("must be at most {} characters", kMaxNameLength);
  if (!allOf(key, labelChar)) return "may contain only letters, digits, '.', '_', '-' and '/'";
  return std::nullopt;
}

std::optional<std::string> checkLabelValue(std::string_view value) {
  if (value.size() > kMaxNameLength)
    return fmt::format("must be at most {} characters", kMaxNameLength);
  if (!allOf(value, labelChar)) return "may contain only letters, digits, '.', '_', '-' and '/'";
  return std::nullopt;
}

std::optional<std::string> checkUuid(std::string_view uuid) {
  static constexpr std::string_view kShape = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
  bool ok = uuid.size() == kShape.size();
  for (std::size_t i = 0; ok && i < uuid.size(); ++i) {
    ok = kShape[i] == '-' ? uuid[i] == '-' : isHex(uuid[i]);
  }
  if (!ok) return "must be a lowercase uuid (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)";
  return std::nullopt;
}

std::string portEnvVar(std::string_view port) {
  std::string out = "SM_PORT_";
  for (char c : port) out += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  return out;
}

}  // namespace sm::config

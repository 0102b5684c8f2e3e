#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sm::config {

// Each check returns nullopt when the value is valid, else the reason, phrased to follow
// "<field path>: " in a diagnostic.

// [A-Za-z0-9._-]+, not "." or "..", at most kMaxNameLength bytes; becomes config/<name>.
std::optional<std::string> checkServiceTypeName(std::string_view name);
// Same alphabet as type names (a host id is a znode name under hosts/), at most 253 bytes like a
// DNS name.
std::optional<std::string> checkHostId(std::string_view hostId);
// [A-Za-z0-9_]+ so that SM_PORT_<UPPER> is a valid environment variable name; at most 32 bytes.
std::optional<std::string> checkPortName(std::string_view port);
// [A-Za-z_][A-Za-z0-9_]*, and not starting with "SM_" (the manager's own variables).
std::optional<std::string> checkEnvName(std::string_view name);
// Label keys: [A-Za-z0-9._/-]+; label values: [A-Za-z0-9._/-]* (may be empty); both bounded.
std::optional<std::string> checkLabelKey(std::string_view key);
std::optional<std::string> checkLabelValue(std::string_view value);
// A cluster-wide lock's name (locks/resources/<name>): the alphabet of type names, so that no name
// can leave its directory, at most 128 bytes.
std::optional<std::string> checkLockName(std::string_view name);
// Canonical lowercase 8-4-4-4-12 hex, as physicalService<uuid> and lock children carry.
std::optional<std::string> checkUuid(std::string_view uuid);

// "http" -> "SM_PORT_HTTP". Port names differing only in case map to the same variable.
std::string portEnvVar(std::string_view port);

inline bool isValidServiceTypeName(std::string_view s) {
  return !checkServiceTypeName(s);
}
inline bool isValidHostId(std::string_view s) {
  return !checkHostId(s);
}
inline bool isValidUuid(std::string_view s) {
  return !checkUuid(s);
}

}  // namespace sm::config

#pragma once

#include <filesystem>
#include <iosfwd>
#include <string_view>
#include <vector>

#include "config/result.hpp"
#include "config/service_type.hpp"

namespace sm::config {

inline constexpr std::string_view kApiVersion = "servicesmgr/v1";
inline constexpr std::string_view kServiceTypeKind = "ServiceType";

// Operator files: one or more YAML documents, each
//   apiVersion: servicesmgr/v1 / kind: ServiceType / metadata: {name: ...} / spec: {...}
// The whole input is validated; the result is every type (in file order) or every problem found
// (up to kMaxDiagnostics), never a mix, so nothing is written when anything is wrong. Bad input
// never throws. Each diagnostic's source is `sourceName` (or the file name as given), with line and
// column.

// "-" reads standard input, reported as "<stdin>".
Result<std::vector<ServiceType>> loadServiceTypesFile(const std::filesystem::path& file);
Result<std::vector<ServiceType>> loadServiceTypesStream(std::istream& in,
                                                        std::string_view sourceName);
Result<std::vector<ServiceType>> loadServiceTypesText(std::string_view text,
                                                      std::string_view sourceName);

}  // namespace sm::config

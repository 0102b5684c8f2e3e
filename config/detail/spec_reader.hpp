#pragma once

// Internal: the one reader of a service type's spec, shared by the YAML loader and the JSON
// decoder.

#include <optional>
#include <string_view>

#include "config/detail/node_reader.hpp"
#include "config/service_type.hpp"

namespace sm::config::detail {

// Reads and validates every field of `spec` (defaults for what is absent, all cross-field rules).
// nullopt when anything was reported.
std::optional<ServiceSpec> readServiceSpec(NodeReader& reader, const YAML::Node& spec,
                                           std::string_view path, std::string_view typeName);

}  // namespace sm::config::detail

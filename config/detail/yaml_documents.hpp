#pragma once

// Internal: YAML::LoadAll made safe for hostile input.

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string_view>
#include <vector>

#include "config/detail/node_reader.hpp"

namespace sm::config::detail {

// Every document of `text`, or nullopt with the problem reported (YAML syntax errors with their
// position). yaml-cpp 0.7's LoadAll never returns, allocating without bound, on a stream such as
// "," (jbeder/yaml-cpp#1040, fixed upstream after 0.7 by #1319); a first pass that builds nothing
// detects the parser making no progress and reports it instead.
std::optional<std::vector<YAML::Node>> loadAllDocuments(std::string_view text,
                                                        DiagnosticSink& sink);

}  // namespace sm::config::detail

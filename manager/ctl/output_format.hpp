#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace sm::ctl {

// `-o` of get: a table for people, JSON or YAML (the same document) for scripts.
enum class OutputFormat { Table, Json, Yaml };

// The values -o accepts, for CLI11's check.
inline const char* const kOutputFormats[] = {"table", "json", "yaml"};
OutputFormat parseOutputFormat(const std::string& name);

// Pretty JSON or block YAML of the document, ending with a newline.
std::string renderDocument(const nlohmann::ordered_json& document, OutputFormat format);
std::string toYaml(const nlohmann::ordered_json& document);

}  // namespace sm::ctl

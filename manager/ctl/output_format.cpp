#include "manager/ctl/output_format.hpp"

#include <yaml-cpp/yaml.h>

namespace sm::ctl {

namespace {

void emit(YAML::Emitter& out, const nlohmann::ordered_json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::object:
      if (value.empty()) out << YAML::Flow;  // "env: {}" rather than a lone "{}" on the next line
      out << YAML::BeginMap;
      for (const auto& [key, item] : value.items()) {
        out << YAML::Key << key << YAML::Value;
        emit(out, item);
      }
      out << YAML::EndMap;
      break;
    case nlohmann::json::value_t::array:
      if (value.empty()) out << YAML::Flow;
      out << YAML::BeginSeq;
      for (const auto& item : value) emit(out, item);
      out << YAML::EndSeq;
      break;
    case nlohmann::json::value_t::string: {
      // Strings that YAML would read as another type (numbers, booleans, null) are quoted.
      const auto& text = value.get_ref<const std::string&>();
      out << YAML::DoubleQuoted << text;
      break;
    }
    case nlohmann::json::value_t::null:
      out << YAML::Null;
      break;
    default:
      out << value.dump();  // numbers and booleans print the same in JSON and YAML
      break;
  }
}

}  // namespace

OutputFormat parseOutputFormat(const std::string& name) {
  if (name == "json") return OutputFormat::Json;
  if (name == "yaml") return OutputFormat::Yaml;
  return OutputFormat::Table;
}

std::string toYaml(const nlohmann::ordered_json& document) {
  YAML::Emitter out;
  emit(out, document);
  return std::string(out.c_str()) + "\n";
}

std::string renderDocument(const nlohmann::ordered_json& document, OutputFormat format) {
  if (format == OutputFormat::Yaml) return toYaml(document);
  return document.dump(2) + "\n";
}

}  // namespace sm::ctl

#include "config/detail/znode_json.hpp"

#include <fmt/format.h>

#include "config/limits.hpp"
#include "config/utf8.hpp"

namespace sm::config::detail {
namespace {

// Deep nesting is rejected before parsing so that no recursive step (conversion, dump) can exhaust
// the stack on hostile data.
bool tooDeep(std::string_view data) {
  std::size_t depth = 0;
  bool inString = false;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const char c = data[i];
    if (inString) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        inString = false;
      }
    } else if (c == '"') {
      inString = true;
    } else if (c == '{' || c == '[') {
      if (++depth > kMaxJsonDepth) return true;
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  return false;
}

YAML::Node toNode(const nlohmann::json& j) {
  switch (j.type()) {
    case nlohmann::json::value_t::object: {
      YAML::Node node(YAML::NodeType::Map);
      for (const auto& [key, value] : j.items()) {
        YAML::Node keyNode(key);
        keyNode.SetTag("!");
        node.force_insert(keyNode, toNode(value));
      }
      return node;
    }
    case nlohmann::json::value_t::array: {
      YAML::Node node(YAML::NodeType::Sequence);
      for (const auto& value : j) node.push_back(toNode(value));
      return node;
    }
    case nlohmann::json::value_t::string: {
      YAML::Node node(j.get<std::string>());
      node.SetTag("!");
      return node;
    }
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
      return YAML::Node(YAML::NodeType::Null);
    default: {
      // Numbers and booleans keep their JSON text, which the core schema reads back as the same
      // type.
      YAML::Node node(j.dump());
      node.SetTag("?");
      return node;
    }
  }
}

}  // namespace

OrderedJson newDocument() {
  OrderedJson j = OrderedJson::object();
  j["format"] = 1;
  return j;
}

std::string dump(const OrderedJson& json) {
  return json.dump(-1, ' ', false, OrderedJson::error_handler_t::replace);
}

std::optional<YAML::Node> parseZnodeJson(std::string_view data, DiagnosticSink& sink) {
  if (data.empty()) {
    sink.add("", "no data (expected a JSON document)");
    return std::nullopt;
  }
  if (data.size() > kMaxZnodeDataBytes) {
    sink.add(
        "", fmt::format("data is too large: {} bytes (limit {})", data.size(), kMaxZnodeDataBytes));
    return std::nullopt;
  }
  if (auto bad = findInvalidUtf8(data)) {
    sink.add("", fmt::format("not JSON text: invalid UTF-8 byte 0x{:02x} at offset {}",
                             static_cast<unsigned char>(data[*bad]), *bad));
    return std::nullopt;
  }
  if (tooDeep(data)) {
    sink.add("", fmt::format("not a valid document: nested deeper than {} levels", kMaxJsonDepth));
    return std::nullopt;
  }
  nlohmann::json json;
  try {
    json = nlohmann::json::parse(data);
  } catch (const nlohmann::json::exception& e) {
    std::string what = e.what();
    if (auto close = what.find("] ");
        what.starts_with("[json.exception") && close != std::string::npos) {
      what.erase(0, close + 2);
    }
    sink.add("", "invalid JSON: " + what);
    return std::nullopt;
  }
  return toNode(json);
}

std::optional<MapFields> openDocument(std::string_view data, NodeReader& reader,
                                      std::initializer_list<std::string_view> known,
                                      UnknownKeys unknown) {
  auto node = parseZnodeJson(data, reader.sink());
  if (!node) return std::nullopt;
  if (!node->IsMap()) {
    reader.error(*node, "", "must be a JSON object, got " + describeValue(*node));
    return std::nullopt;
  }
  auto fields = reader.mapping(*node, "", known, unknown);
  if (!fields || !reader.require(*fields, "format")) return std::nullopt;
  auto format = reader.integer(*fields, "format", IntRange{1, kMaxSafeInteger});
  if (!format) return std::nullopt;
  if (*format != 1) {
    reader.error(fields->find("format")->value, "format",
                 fmt::format("unsupported format {} (this version reads format 1)", *format));
    return std::nullopt;
  }
  return fields;
}

}  // namespace sm::config::detail

#pragma once

// Internal: the shared front half of every decoder of znode data. Data in ZooKeeper may have been
// written by anyone (zkCli, an older or newer servicesctl, a bug), so every step reports instead of
// throwing, and every report names the znode.

#include <nlohmann/json.hpp>

#include <exception>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>

#include "config/detail/node_reader.hpp"
#include "config/result.hpp"

namespace sm::config::detail {

// Encoded documents keep their fields in a readable order ("format" first) for `servicesctl tree`.
using OrderedJson = nlohmann::ordered_json;

// A JSON object starting with "format": 1.
OrderedJson newDocument();
// Compact JSON; invalid UTF-8 in a string is replaced rather than thrown about.
std::string dump(const OrderedJson& json);

// Size, UTF-8, nesting depth and JSON syntax checked, then converted to a node tree for NodeReader
// (JSON strings become quoted scalars, so types stay strict). nullopt when reported.
std::optional<YAML::Node> parseZnodeJson(std::string_view data, DiagnosticSink& sink);

// The whole decode of one document: parse, require an object with "format": 1 and then `read` the
// fields in `known` (other fields are ignored unless `unknown` says reject). Never throws.
template <class T>
Result<T> decodeDocument(std::string_view data, std::string_view znodePath,
                         std::initializer_list<std::string_view> known, UnknownKeys unknown,
                         const std::function<T(NodeReader&, const MapFields&)>& read);

// Non-template part of decodeDocument: everything up to the fields of the document.
std::optional<MapFields> openDocument(std::string_view data, NodeReader& reader,
                                      std::initializer_list<std::string_view> known,
                                      UnknownKeys unknown);

template <class T>
Result<T> decodeDocument(std::string_view data, std::string_view znodePath,
                         std::initializer_list<std::string_view> known, UnknownKeys unknown,
                         const std::function<T(NodeReader&, const MapFields&)>& read) {
  DiagnosticSink sink{std::string(znodePath)};
  NodeReader reader(sink);
  try {
    if (auto fields = openDocument(data, reader, known, unknown)) {
      T value = read(reader, *fields);
      if (sink.empty()) return value;
    }
  } catch (const std::exception& e) {
    sink.add("", std::string("cannot decode: ") + e.what());
  }
  return sink.take();
}

}  // namespace sm::config::detail

#include "config/yaml_loader.hpp"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>

#include "config/detail/node_reader.hpp"
#include "config/detail/spec_reader.hpp"
#include "config/detail/yaml_documents.hpp"
#include "config/limits.hpp"
#include "config/names.hpp"
#include "config/service_type_codec.hpp"
#include "config/utf8.hpp"

namespace sm::config {
namespace {

using detail::DiagnosticSink;
using detail::NodeReader;

constexpr std::string_view kStdinName = "<stdin>";

// Byte offset -> 1-based line and column, for problems found before YAML parsing.
YAML::Mark markAt(std::string_view text, std::size_t offset) {
  const std::string_view before = text.substr(0, offset);
  const auto lastNewline = before.rfind('\n');
  const std::size_t lineStart = lastNewline == std::string_view::npos ? 0 : lastNewline + 1;
  YAML::Mark mark;
  mark.pos = static_cast<int>(offset);
  mark.line = static_cast<int>(std::count(before.begin(), before.end(), '\n'));
  mark.column = static_cast<int>(offset - lineStart);
  return mark;
}

// Rejects what is not YAML text at all, with the position of the first bad byte.
bool checkText(std::string_view text, DiagnosticSink& sink) {
  if (text.size() > kMaxYamlFileBytes) {
    sink.add("", fmt::format("file is too large: more than {} bytes (limit {} bytes)",
                             kMaxYamlFileBytes, kMaxYamlFileBytes));
    return false;
  }
  if (auto bad = findInvalidUtf8(text)) {
    sink.add(markAt(text, *bad), "",
             fmt::format("not a text file: invalid UTF-8 byte 0x{:02x}",
                         static_cast<unsigned char>(text[*bad])));
    return false;
  }
  if (auto bad = findBinaryControl(text)) {
    sink.add(markAt(text, *bad), "",
             fmt::format("not a text file: control character 0x{:02x}",
                         static_cast<unsigned char>(text[*bad])));
    return false;
  }
  return true;
}

std::optional<std::string> checkExactly(std::string_view value, std::string_view expected) {
  if (value == expected) return std::nullopt;
  return fmt::format("must be \"{}\"", expected);
}

// `name` is set as soon as metadata.name is valid, even when other fields are not, so that
// duplicate names are reported alongside every other problem.
std::optional<ServiceType> readDocument(NodeReader& r, const YAML::Node& doc, std::size_t index,
                                        std::string& name) {
  if (!doc.IsMap()) {
    r.error(doc, "",
            fmt::format(
                "document {} must be a mapping with apiVersion, kind, metadata and spec, got {}",
                index, detail::describeValue(doc)));
    return std::nullopt;
  }
  const std::size_t before = r.sink().size();
  auto f = r.mapping(doc, "", {"apiVersion", "kind", "metadata", "spec"});
  ServiceType type;
  if (r.require(*f, "apiVersion")) {
    r.string(*f, "apiVersion", [](std::string_view v) { return checkExactly(v, kApiVersion); });
  }
  if (r.require(*f, "kind")) {
    r.string(*f, "kind", [](std::string_view v) { return checkExactly(v, kServiceTypeKind); });
  }
  if (r.require(*f, "metadata")) {
    if (auto m = r.mappingField(*f, "metadata", {"name"}); m && r.require(*m, "name")) {
      if (auto n = r.string(*m, "name", checkServiceTypeName)) type.name = name = *n;
    }
  }
  if (r.require(*f, "spec")) {
    if (auto spec = detail::readServiceSpec(r, f->find("spec")->value, "spec", type.name))
      type.spec = *spec;
  }
  if (r.sink().size() != before) return std::nullopt;
  return type;
}

// The stored form must fit in a znode next to the other types of one multi().
void checkEncodedSize(NodeReader& r, const ServiceType& type, const YAML::Node& nameNode) {
  const auto size = encodeServiceType(type, 1).size();
  if (size > kMaxServiceTypeJsonBytes) {
    r.error(nameNode, "spec",
            fmt::format("too large: {} bytes once encoded, limit {} bytes", size,
                        kMaxServiceTypeJsonBytes));
  }
}

}  // namespace

Result<std::vector<ServiceType>> loadServiceTypesText(std::string_view text,
                                                      std::string_view sourceName) {
  DiagnosticSink sink{std::string(sourceName)};
  if (!checkText(text, sink)) return sink.take();
  if (text.starts_with("\xEF\xBB\xBF"))
    text.remove_prefix(3);  // a UTF-8 byte order mark is not content

  auto docs = detail::loadAllDocuments(text, sink);
  if (!docs) return sink.take();

  NodeReader reader(sink);
  std::vector<ServiceType> types;
  std::map<std::string, int, std::less<>> firstLine;  // name -> line of its first definition
  std::size_t index = 0;
  for (const auto& doc : *docs) {
    if (doc.IsNull()) continue;  // "---" separators around nothing, as kubectl allows
    ++index;
    try {
      std::string name;
      auto type = readDocument(reader, doc, index, name);
      if (name.empty()) continue;
      const YAML::Node nameNode = doc["metadata"]["name"];
      if (auto seen = firstLine.find(name); seen != firstLine.end()) {
        reader.error(nameNode, "metadata.name",
                     fmt::format("duplicate service type \"{}\" (first defined at line {})", name,
                                 seen->second));
        continue;
      }
      firstLine.emplace(name, nameNode.Mark().line + 1);
      if (!type) continue;
      checkEncodedSize(reader, *type, nameNode);
      types.push_back(std::move(*type));
    } catch (const std::exception& e) {
      // yaml-cpp can throw on shapes no check anticipated; report it instead of letting it escape.
      reader.error(doc, "", fmt::format("cannot read document {}: {}", index, e.what()));
    }
  }
  if (index == 0) sink.add("", "no documents: expected at least one ServiceType document");
  if (!sink.empty()) {
    // Report in file order, as a compiler would, whatever order the checks ran in.
    auto diagnostics = sink.take();
    std::stable_sort(diagnostics.begin(), diagnostics.end(),
                     [](const Diagnostic& a, const Diagnostic& b) {
                       auto position = [](const Diagnostic& d) {
                         return std::pair(d.line > 0 ? d.line : INT_MAX, d.column);
                       };
                       return position(a) < position(b);
                     });
    return diagnostics;
  }
  return types;
}

Result<std::vector<ServiceType>> loadServiceTypesStream(std::istream& in,
                                                        std::string_view sourceName) {
  // Read one byte past the cap so that an oversized input is recognised without reading it all.
  std::string text(kMaxYamlFileBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) {
    return Diagnostic{std::string(sourceName), 0, 0, "", "cannot read: I/O error"};
  }
  text.resize(static_cast<std::size_t>(in.gcount()));
  return loadServiceTypesText(text, sourceName);
}

Result<std::vector<ServiceType>> loadServiceTypesFile(const std::filesystem::path& file) {
  if (file == "-") return loadServiceTypesStream(std::cin, kStdinName);
  const std::string name = file.string();
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec))
    return Diagnostic{name, 0, 0, "", "cannot read: is a directory"};
  std::ifstream in(file, std::ios::binary);
  if (!in) return Diagnostic{name, 0, 0, "", fmt::format("cannot read: {}", std::strerror(errno))};
  return loadServiceTypesStream(in, name);
}

}  // namespace sm::config

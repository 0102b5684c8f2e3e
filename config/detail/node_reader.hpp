#pragma once

// Internal: typed, path-tracking reads of a YAML::Node tree that collect every problem instead of
// stopping at the first. Both the YAML loader and the JSON decoders (after converting JSON to a
// node tree) read through this class, so each rule and each message exists once.

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/diagnostic.hpp"
#include "config/limits.hpp"

namespace sm::config::detail {

// How a scalar reads under the YAML 1.2 core schema: quoted scalars are strings, plain ones are
// resolved by their text ("3" is an integer, "three" a string). Strictness here is what turns
// `replicationCount: "3"` or `name: 5` into an error, as in Kubernetes.
enum class ScalarKind { Null, Bool, Int, Float, String };
ScalarKind scalarKind(const YAML::Node& node);

// What follows "got " in a message: "three" (quoted) for strings, the text of other scalars (5,
// true), null, a mapping, a sequence. Long values are cut.
std::string describeValue(const YAML::Node& node);

// "spec" + "replicas" -> "spec.replicas"; "" + "spec" -> "spec".
std::string joinPath(std::string_view parent, std::string_view key);
// "spec.command" + 2 -> "spec.command[2]".
std::string indexPath(std::string_view parent, std::size_t index);

class DiagnosticSink {
 public:
  explicit DiagnosticSink(std::string source) : source_(std::move(source)) {}

  // A mark with a negative line (nodes built from JSON) gives a diagnostic without position.
  void add(const YAML::Mark& mark, std::string path, std::string message);
  void add(std::string path, std::string message) {
    add(YAML::Mark::null_mark(), std::move(path), std::move(message));
  }

  bool empty() const { return diagnostics_.empty(); }
  std::size_t size() const { return diagnostics_.size(); }
  const std::string& source() const { return source_; }
  std::vector<Diagnostic> take() { return std::move(diagnostics_); }

 private:
  std::string source_;
  std::vector<Diagnostic> diagnostics_;
};

struct Entry {
  std::string key;
  YAML::Node keyNode;
  YAML::Node value;
};

// The entries of one mapping that passed the structural checks, by key.
class MapFields {
 public:
  MapFields(YAML::Node node, std::string path) : node_(std::move(node)), path_(std::move(path)) {}

  const YAML::Node& node() const { return node_; }
  const std::string& path() const { return path_; }
  const std::vector<Entry>& entries() const { return entries_; }  // document order
  const Entry* find(std::string_view key) const;
  std::string pathOf(std::string_view key) const { return joinPath(path_, key); }

  void append(Entry entry) { entries_.push_back(std::move(entry)); }

 private:
  YAML::Node node_;
  std::string path_;
  std::vector<Entry> entries_;
};

// nullopt when fine, else the reason (see config/names.hpp).
using Check = std::function<std::optional<std::string>(std::string_view)>;

enum class UnknownKeys { Reject, Ignore };

class NodeReader {
 public:
  explicit NodeReader(DiagnosticSink& sink) : sink_(sink) {}

  void error(const YAML::Node& at, std::string path, std::string message);
  DiagnosticSink& sink() { return sink_; }

  // A mapping with string keys, each at most once, each in `known` (unless unknown keys are
  // ignored, which runtime documents do so that newer writers may add fields).
  std::optional<MapFields> mapping(const YAML::Node& node, std::string_view path,
                                   std::initializer_list<std::string_view> known,
                                   UnknownKeys unknown = UnknownKeys::Reject);
  // A mapping whose keys are data (env, labels, ports): each key must pass keyCheck.
  std::optional<MapFields> freeMapping(const YAML::Node& node, std::string_view path,
                                       const Check& keyCheck);
  std::optional<MapFields> mappingField(const MapFields& f, std::string_view key,
                                        std::initializer_list<std::string_view> known,
                                        UnknownKeys unknown = UnknownKeys::Reject);

  // Reports "required field is missing" at the mapping; true when present.
  bool require(const MapFields& f, std::string_view key);

  // Typed fields: nullopt when absent or invalid (and invalid is reported).
  std::optional<std::int64_t> integer(const MapFields& f, std::string_view key, IntRange range);
  // true or false, unquoted: "yes" and "true" in quotes are refused (as in Kubernetes).
  std::optional<bool> boolean(const MapFields& f, std::string_view key);
  // A finite number in [min, max], or in (min, max] when minExclusive.
  std::optional<double> number(const MapFields& f, std::string_view key, double min, double max,
                               bool minExclusive = false);
  std::optional<std::string> string(const MapFields& f, std::string_view key,
                                    const Check& check = {});
  // A list of strings, each passing check, none repeated.
  std::optional<std::vector<std::string>> stringList(const MapFields& f, std::string_view key,
                                                     const Check& check = {});
  // argv: a non-empty list whose first element is a non-empty string; scalars are taken as written.
  std::optional<std::vector<std::string>> argv(const MapFields& f, std::string_view key);
  // string -> string; values may be any scalar, taken as written (env: {RETRIES: 3}).
  std::optional<std::map<std::string, std::string>> stringMap(const MapFields& f,
                                                              std::string_view key,
                                                              const Check& keyCheck,
                                                              const Check& valueCheck = {});
  // string -> integer in range.
  std::optional<std::map<std::string, std::int64_t>> integerMap(const MapFields& f,
                                                                std::string_view key,
                                                                const Check& keyCheck,
                                                                IntRange range);
  // A list of mappings, each handed to readItem(node, path).
  bool list(const MapFields& f, std::string_view key,
            const std::function<void(const YAML::Node&, const std::string&)>& readItem);

  // Node-level reads, for list elements and callers that walk by hand.
  std::optional<std::int64_t> integerAt(const YAML::Node& node, const std::string& path,
                                        IntRange range);
  std::optional<std::string> stringAt(const YAML::Node& node, const std::string& path,
                                      const Check& check = {});
  std::optional<std::string> scalarTextAt(const YAML::Node& node, const std::string& path,
                                          const Check& check = {});

 private:
  const YAML::Node* field(const MapFields& f, std::string_view key);
  bool checkListSize(const YAML::Node& node, const std::string& path);
  // A mapping with data keys (keyCheck) whose values readValue reads.
  template <class V>
  std::optional<std::map<std::string, V>> valueMap(
      const MapFields& f, std::string_view key, const Check& keyCheck,
      const std::function<std::optional<V>(const YAML::Node&, const std::string&)>& readValue);

  DiagnosticSink& sink_;
};

}  // namespace sm::config::detail

#include "config/detail/node_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cctype>

namespace sm::config::detail {
namespace {

constexpr std::size_t kShownValueLength = 60;

bool isPlainNull(const std::string& s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}
bool isPlainBool(const std::string& s) {
  return s == "true" || s == "True" || s == "TRUE" || s == "false" || s == "False" || s == "FALSE";
}
bool isDigits(std::string_view s, int base) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool ok = base == 16 ? std::isxdigit(static_cast<unsigned char>(c)) != 0
                               : (c >= '0' && c < static_cast<char>('0' + base));
    if (!ok) return false;
  }
  return true;
}
std::string_view withoutSign(std::string_view s) {
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) s.remove_prefix(1);
  return s;
}
// Hand-written rather than std::regex, whose recursion overflows the stack on long scalars.
bool isPlainInt(std::string_view s) {
  if (s.starts_with("0x")) return isDigits(s.substr(2), 16);
  if (s.starts_with("0o")) return isDigits(s.substr(2), 8);
  return isDigits(withoutSign(s), 10);
}
bool isPlainFloat(std::string_view s) {
  const std::string_view special = s.starts_with(".") ? s : withoutSign(s);
  if (special == ".inf" || special == ".Inf" || special == ".INF" || s == ".nan" || s == ".NaN" ||
      s == ".NAN") {
    return true;
  }
  s = withoutSign(s);
  const auto e = s.find_first_of("eE");
  if (e != std::string_view::npos) {
    if (!isDigits(withoutSign(s.substr(e + 1)), 10)) return false;
    s = s.substr(0, e);
  }
  const auto dot = s.find('.');
  if (dot == std::string_view::npos) return isDigits(s, 10);
  const auto whole = s.substr(0, dot);
  const auto fraction = s.substr(dot + 1);
  if (whole.empty()) return isDigits(fraction, 10);
  return isDigits(whole, 10) && (fraction.empty() || isDigits(fraction, 10));
}

std::optional<std::int64_t> parseInt(const std::string& text) {
  std::string_view s = text;
  int base = 10;
  bool negative = false;
  if (s.starts_with("0x")) {
    base = 16;
    s.remove_prefix(2);
  } else if (s.starts_with("0o")) {
    base = 8;
    s.remove_prefix(2);
  } else if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  std::uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), magnitude, base);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  if (magnitude > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
  auto value = static_cast<std::int64_t>(magnitude);
  return negative ? -value : value;
}

std::optional<double> parseFloat(const std::string& text) {
  std::string_view s = text;
  if (!s.empty() && s[0] == '+') s.remove_prefix(1);
  double value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc() || end != s.data() + s.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::string quoted(std::string_view s) {
  std::string out = "\"";
  std::size_t n = 0;
  for (char c : s) {
    if (++n > kShownValueLength) {
      out += "...";
      break;
    }
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7f) {
      out += fmt::format("\\x{:02x}", u);
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::size_t editDistance(std::string_view a, std::string_view b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string unknownFieldMessage(std::string_view key,
                                std::initializer_list<std::string_view> known) {
  if (known.size() == 0) return "unknown field";
  std::string_view best;
  // Suggest only close misspellings: up to 2 edits, or a third of a longer key ("replicaCount"
  // for "replicationCount").
  std::size_t bestDistance = std::max<std::size_t>(3, key.size() / 3 + 1);
  std::size_t bestCommon = 0;
  for (auto k : known) {
    // A close misspelling, or a truncation such as "replicas" for "replicationCount".
    const auto mismatch = std::mismatch(key.begin(), key.end(), k.begin(), k.end()).first;
    const auto common = static_cast<std::size_t>(mismatch - key.begin());
    const bool truncated = common >= 4 && common + 1 >= key.size();
    const auto d = truncated ? 1 : editDistance(key, k);
    // Between equally close ones, the one that starts the same ("replicaCount": replicationCount,
    // not serviceCount).
    if (d < bestDistance || (!best.empty() && d == bestDistance && common > bestCommon)) {
      bestDistance = d;
      bestCommon = common;
      best = k;
    }
  }
  if (!best.empty()) return fmt::format("unknown field; did you mean \"{}\"?", best);
  std::string list;
  for (auto k : known) list += (list.empty() ? "" : ", ") + std::string(k);
  return "unknown field; expected one of: " + list;
}

std::string integerExpectation(IntRange range) {
  return fmt::format("must be an integer >= {}", range.min);
}

}  // namespace

ScalarKind scalarKind(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return ScalarKind::Null;
  const std::string& tag = node.Tag();
  if (tag == "!" || tag == "tag:yaml.org,2002:str") return ScalarKind::String;
  if (tag == "tag:yaml.org,2002:int") return ScalarKind::Int;
  if (tag == "tag:yaml.org,2002:float") return ScalarKind::Float;
  if (tag == "tag:yaml.org,2002:bool") return ScalarKind::Bool;
  const std::string& s = node.Scalar();
  if (isPlainNull(s)) return ScalarKind::Null;
  if (isPlainBool(s)) return ScalarKind::Bool;
  if (isPlainInt(s)) return ScalarKind::Int;
  if (isPlainFloat(s)) return ScalarKind::Float;
  return ScalarKind::String;
}

std::string describeValue(const YAML::Node& node) {
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a sequence";
  switch (scalarKind(node)) {
    case ScalarKind::Null:
      return "null";
    case ScalarKind::String:
      return quoted(node.Scalar());
    default: {
      const std::string& s = node.Scalar();
      return s.size() > kShownValueLength ? s.substr(0, kShownValueLength) + "..." : s;
    }
  }
}

std::string joinPath(std::string_view parent, std::string_view key) {
  if (parent.empty()) return std::string(key);
  return fmt::format("{}.{}", parent, key);
}

std::string indexPath(std::string_view parent, std::size_t index) {
  return fmt::format("{}[{}]", parent, index);
}

void DiagnosticSink::add(const YAML::Mark& mark, std::string path, std::string message) {
  if (diagnostics_.size() > kMaxDiagnostics) return;
  if (diagnostics_.size() == kMaxDiagnostics) {
    diagnostics_.push_back(
        {source_, 0, 0, "", fmt::format("too many errors; stopping after {}", kMaxDiagnostics)});
    return;
  }
  Diagnostic d{source_, 0, 0, std::move(path), std::move(message)};
  if (mark.line >= 0 && mark.column >= 0) {
    d.line = mark.line + 1;
    d.column = mark.column + 1;
  }
  diagnostics_.push_back(std::move(d));
}

const Entry* MapFields::find(std::string_view key) const {
  for (const auto& e : entries_) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

void NodeReader::error(const YAML::Node& at, std::string path, std::string message) {
  sink_.add(at.Mark(), std::move(path), std::move(message));
}

bool NodeReader::checkListSize(const YAML::Node& node, const std::string& path) {
  if (node.size() <= kMaxListItems) return true;
  error(node, path,
        fmt::format("must have at most {} entries, got {}", kMaxListItems, node.size()));
  return false;
}

std::optional<MapFields> NodeReader::mapping(const YAML::Node& node, std::string_view path,
                                             std::initializer_list<std::string_view> known,
                                             UnknownKeys unknown) {
  if (!node.IsMap()) {
    error(node, std::string(path), "must be a mapping, got " + describeValue(node));
    return std::nullopt;
  }
  if (!checkListSize(node, std::string(path))) return std::nullopt;
  MapFields fields(node, std::string(path));
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node& keyNode = it->first;
    if (!keyNode.IsScalar() || scalarKind(keyNode) == ScalarKind::Null) {
      error(keyNode, std::string(path), "keys must be strings, got " + describeValue(keyNode));
      continue;
    }
    const std::string& key = keyNode.Scalar();
    const std::string keyPath = joinPath(path, key);
    if (const Entry* first = fields.find(key)) {
      const auto firstLine = first->keyNode.Mark().line;
      error(keyNode, keyPath,
            firstLine >= 0 ? fmt::format("duplicate field (first set at line {})", firstLine + 1)
                           : std::string("duplicate field"));
      continue;
    }
    const bool isKnown =
        known.size() == 0 || std::find(known.begin(), known.end(), key) != known.end();
    if (!isKnown) {
      if (unknown == UnknownKeys::Reject) error(keyNode, keyPath, unknownFieldMessage(key, known));
      continue;
    }
    fields.append({key, keyNode, it->second});
  }
  return fields;
}

std::optional<MapFields> NodeReader::freeMapping(const YAML::Node& node, std::string_view path,
                                                 const Check& keyCheck) {
  auto fields = mapping(node, path, {});
  if (!fields) return std::nullopt;
  MapFields checked(fields->node(), fields->path());
  for (const auto& e : fields->entries()) {
    if (auto problem = keyCheck ? keyCheck(e.key) : std::nullopt) {
      error(e.keyNode, fields->pathOf(e.key), "bad key: " + *problem);
    } else {
      checked.append(e);
    }
  }
  return checked;
}

std::optional<MapFields> NodeReader::mappingField(const MapFields& f, std::string_view key,
                                                  std::initializer_list<std::string_view> known,
                                                  UnknownKeys unknown) {
  const YAML::Node* n = field(f, key);
  if (!n) return std::nullopt;
  return mapping(*n, f.pathOf(key), known, unknown);
}

const YAML::Node* NodeReader::field(const MapFields& f, std::string_view key) {
  const Entry* e = f.find(key);
  return e ? &e->value : nullptr;
}

bool NodeReader::require(const MapFields& f, std::string_view key) {
  if (f.find(key)) return true;
  error(f.node(), f.pathOf(key), "required field is missing");
  return false;
}

std::optional<std::int64_t> NodeReader::integerAt(const YAML::Node& node, const std::string& path,
                                                  IntRange range) {
  std::optional<std::int64_t> value;
  if (node.IsScalar() && scalarKind(node) == ScalarKind::Int) value = parseInt(node.Scalar());
  if (!value) {
    // Covers "three", 3.5, "3" (quoted) and integers beyond 64 bits alike.
    error(node, path, fmt::format("{}, got {}", integerExpectation(range), describeValue(node)));
    return std::nullopt;
  }
  if (*value < range.min) {
    error(node, path, fmt::format("{}, got {}", integerExpectation(range), *value));
    return std::nullopt;
  }
  if (*value > range.max) {
    error(node, path, fmt::format("must be an integer <= {}, got {}", range.max, *value));
    return std::nullopt;
  }
  return value;
}

std::optional<std::int64_t> NodeReader::integer(const MapFields& f, std::string_view key,
                                                IntRange range) {
  const YAML::Node* n = field(f, key);
  return n ? integerAt(*n, f.pathOf(key), range) : std::nullopt;
}

std::optional<bool> NodeReader::boolean(const MapFields& f, std::string_view key) {
  const YAML::Node* n = field(f, key);
  if (!n) return std::nullopt;
  if (!n->IsScalar() || scalarKind(*n) != ScalarKind::Bool) {
    error(*n, f.pathOf(key), fmt::format("must be true or false, got {}", describeValue(*n)));
    return std::nullopt;
  }
  const auto& s = n->Scalar();
  return s == "true" || s == "True" || s == "TRUE";
}

std::optional<double> NodeReader::number(const MapFields& f, std::string_view key, double min,
                                         double max, bool minExclusive) {
  const YAML::Node* n = field(f, key);
  if (!n) return std::nullopt;
  std::optional<double> value;
  const auto kind = n->IsScalar() ? scalarKind(*n) : ScalarKind::Null;
  if (kind == ScalarKind::Int || kind == ScalarKind::Float) value = parseFloat(n->Scalar());
  if (!value || *value < min || (minExclusive && *value == min) || *value > max) {
    error(*n, f.pathOf(key),
          fmt::format("must be a number {} {} and <= {}, got {}", minExclusive ? ">" : ">=", min,
                      max, describeValue(*n)));
    return std::nullopt;
  }
  return value;
}

std::optional<std::string> NodeReader::stringAt(const YAML::Node& node, const std::string& path,
                                                const Check& check) {
  if (!node.IsScalar() || scalarKind(node) != ScalarKind::String) {
    error(node, path, "must be a string, got " + describeValue(node));
    return std::nullopt;
  }
  return scalarTextAt(node, path, check);
}

std::optional<std::string> NodeReader::scalarTextAt(const YAML::Node& node, const std::string& path,
                                                    const Check& check) {
  if (!node.IsScalar() || scalarKind(node) == ScalarKind::Null) {
    error(node, path, "must be a string or another scalar, got " + describeValue(node));
    return std::nullopt;
  }
  const std::string& s = node.Scalar();
  if (s.find('\0') != std::string::npos) {
    error(node, path, "must not contain NUL characters");
    return std::nullopt;
  }
  if (s.size() > kMaxStringBytes) {
    error(node, path, fmt::format("must be at most {} bytes, got {}", kMaxStringBytes, s.size()));
    return std::nullopt;
  }
  if (auto problem = check ? check(s) : std::nullopt) {
    error(node, path, fmt::format("{}, got {}", *problem, describeValue(node)));
    return std::nullopt;
  }
  return s;
}

std::optional<std::string> NodeReader::string(const MapFields& f, std::string_view key,
                                              const Check& check) {
  const YAML::Node* n = field(f, key);
  return n ? stringAt(*n, f.pathOf(key), check) : std::nullopt;
}

std::optional<std::vector<std::string>> NodeReader::stringList(const MapFields& f,
                                                               std::string_view key,
                                                               const Check& check) {
  std::vector<std::string> out;
  bool ok = true;
  const bool present = list(f, key, [&](const YAML::Node& item, const std::string& path) {
    auto s = stringAt(item, path, check);
    if (s && std::find(out.begin(), out.end(), *s) != out.end()) {
      error(item, path, fmt::format("duplicate entry {}", describeValue(item)));
      s.reset();
    }
    if (s) {
      out.push_back(*s);
    } else {
      ok = false;
    }
  });
  return present && ok ? std::optional(out) : std::nullopt;
}

std::optional<std::vector<std::string>> NodeReader::argv(const MapFields& f, std::string_view key) {
  const YAML::Node* n = field(f, key);
  if (!n) return std::nullopt;
  if (n->IsScalar()) {
    error(*n, f.pathOf(key),
          "must be a list (argv, not a shell string), e.g. [\"/bin/app\", \"--flag\"], got " +
              describeValue(*n));
    return std::nullopt;
  }
  static const Check program = [](std::string_view v) -> std::optional<std::string> {
    if (v.empty()) return "the program must not be empty";
    return std::nullopt;
  };
  std::vector<std::string> out;
  bool ok = true;
  std::size_t index = 0;
  const bool present = list(f, key, [&](const YAML::Node& item, const std::string& path) {
    // Later arguments may be any scalar ("--retries", 3); the program itself must be a real string.
    auto s = index++ == 0 ? stringAt(item, path, program) : scalarTextAt(item, path);
    if (s) {
      out.push_back(*s);
    } else {
      ok = false;
    }
  });
  if (!present || !ok) return std::nullopt;
  if (out.empty()) {
    error(*n, f.pathOf(key), "must not be empty: give at least the program to run");
    return std::nullopt;
  }
  return out;
}

template <class V>
std::optional<std::map<std::string, V>> NodeReader::valueMap(
    const MapFields& f, std::string_view key, const Check& keyCheck,
    const std::function<std::optional<V>(const YAML::Node&, const std::string&)>& readValue) {
  const YAML::Node* n = field(f, key);
  if (!n) return std::nullopt;
  auto fields = freeMapping(*n, f.pathOf(key), keyCheck);
  if (!fields) return std::nullopt;
  std::map<std::string, V> out;
  bool ok = fields->entries().size() == n->size();
  for (const auto& e : fields->entries()) {
    auto v = readValue(e.value, fields->pathOf(e.key));
    if (v) {
      out.emplace(e.key, *v);
    } else {
      ok = false;
    }
  }
  return ok ? std::optional(out) : std::nullopt;
}

std::optional<std::map<std::string, std::string>> NodeReader::stringMap(const MapFields& f,
                                                                        std::string_view key,
                                                                        const Check& keyCheck,
                                                                        const Check& valueCheck) {
  return valueMap<std::string>(f, key, keyCheck,
                               [&](const YAML::Node& value, const std::string& path) {
                                 return scalarTextAt(value, path, valueCheck);
                               });
}

std::optional<std::map<std::string, std::int64_t>> NodeReader::integerMap(const MapFields& f,
                                                                          std::string_view key,
                                                                          const Check& keyCheck,
                                                                          IntRange range) {
  return valueMap<std::int64_t>(f, key, keyCheck,
                                [&](const YAML::Node& value, const std::string& path) {
                                  return integerAt(value, path, range);
                                });
}

bool NodeReader::list(const MapFields& f, std::string_view key,
                      const std::function<void(const YAML::Node&, const std::string&)>& readItem) {
  const YAML::Node* n = field(f, key);
  if (!n) return false;
  const std::string path = f.pathOf(key);
  if (!n->IsSequence()) {
    error(*n, path, "must be a list, got " + describeValue(*n));
    return false;
  }
  if (!checkListSize(*n, path)) return false;
  for (std::size_t i = 0; i < n->size(); ++i) readItem((*n)[i], indexPath(path, i));
  return true;
}

}  // namespace sm::config::detail

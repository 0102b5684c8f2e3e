// The role line is parsed by a deliberately tiny JSON scanner: managed processes link this with
// nothing else. It accepts any valid JSON object, reads the four known fields and skips the rest.
#include <cctype>
#include <cstdint>
#include <limits>

#include "services/role.hpp"

namespace sm::services {

namespace {

class Scanner {
 public:
  explicit Scanner(std::string_view text) : text_(text) {}

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  bool atEnd() {
    skipSpace();
    return pos_ == text_.size();
  }

  bool expect(char c) {
    skipSpace();
    if (pos_ < text_.size() && text_[pos_] == c) {
      ++pos_;
      return true;
    }
    return fail(std::string("expected '") + c + "'");
  }

  bool peekIs(char c) {
    skipSpace();
    return pos_ < text_.size() && text_[pos_] == c;
  }

  bool string(std::string& out) {
    if (!expect('"')) return false;
    out.clear();
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return fail("control character in string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= text_.size()) break;
      char escape = text_[pos_++];
      switch (escape) {
        case '"':
        case '\\':
        case '/':
          out += escape;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u':
          if (!unicodeEscape(out)) return false;
          break;
        default:
          return fail("bad escape");
      }
    }
    return fail("unterminated string");
  }

  // A JSON integer, optionally negative; fractions and exponents are refused.
  bool integer(bool& negative, std::uint64_t& magnitude) {
    skipSpace();
    negative = pos_ < text_.size() && text_[pos_] == '-';
    if (negative) ++pos_;
    if (pos_ >= text_.size() || !std::isdigit(static_cast<unsigned char>(text_[pos_])))
      return fail("expected an integer");
    magnitude = 0;
    while (pos_ < text_.size() && std::isdigit(static_cast<unsigned char>(text_[pos_]))) {
      unsigned digit = static_cast<unsigned>(text_[pos_++] - '0');
      if (magnitude > (std::numeric_limits<std::uint64_t>::max() - digit) / 10)
        return fail("integer overflow");
      magnitude = magnitude * 10 + digit;
    }
    if (pos_ < text_.size() && (text_[pos_] == '.' || text_[pos_] == 'e' || text_[pos_] == 'E'))
      return fail("expected an integer");
    return true;
  }

  // Skips any value; returns its text.
  bool value(std::string_view& raw, int depth = 0) {
    if (depth > 32) return fail("nested too deeply");
    skipSpace();
    std::size_t start = pos_;
    if (pos_ >= text_.size()) return fail("expected a value");
    char c = text_[pos_];
    std::string ignored;
    std::string_view inner;
    if (c == '"') {
      if (!string(ignored)) return false;
    } else if (c == '{' || c == '[') {
      char close = c == '{' ? '}' : ']';
      ++pos_;
      if (!peekIs(close)) {
        do {
          if (c == '{' && (!string(ignored) || !expect(':'))) return false;
          if (!value(inner, depth + 1)) return false;
        } while (peekIs(',') && expect(','));
      }
      if (!expect(close)) return false;
    } else if (c == '-' || std::isdigit(static_cast<unsigned char>(c))) {
      ++pos_;
      while (pos_ < text_.size() &&
             (std::isdigit(static_cast<unsigned char>(text_[pos_])) || text_[pos_] == '.' ||
              text_[pos_] == 'e' || text_[pos_] == 'E' || text_[pos_] == '+' || text_[pos_] == '-'))
        ++pos_;
    } else if (!literal("true") && !literal("false") && !literal("null")) {
      return fail("expected a value");
    }
    raw = text_.substr(start, pos_ - start);
    return true;
  }

 private:
  void skipSpace() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }

  bool literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  bool unicodeEscape(std::string& out) {
    if (pos_ + 4 > text_.size()) return fail("bad \\u escape");
    unsigned code = 0;
    for (int i = 0; i < 4; ++i) {
      char h = text_[pos_++];
      code <<= 4;
      if (h >= '0' && h <= '9')
        code |= static_cast<unsigned>(h - '0');
      else if (h >= 'a' && h <= 'f')
        code |= static_cast<unsigned>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F')
        code |= static_cast<unsigned>(h - 'A' + 10);
      else
        return fail("bad \\u escape");
    }
    // Surrogate pairs are not combined: none of the fields read here needs them.
    if (code < 0x80) {
      out += static_cast<char>(code);
    } else if (code < 0x800) {
      out += static_cast<char>(0xC0 | (code >> 6));
      out += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      out += static_cast<char>(0xE0 | (code >> 12));
      out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (code & 0x3F));
    }
    return true;
  }

  bool fail(std::string message) {
    if (error_.empty()) error_ = message + " at offset " + std::to_string(pos_);
    return false;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
  std::string error_;
};

Role roleFromName(const std::string& name) {
  if (name == "master") return Role::Master;
  if (name == "secondary") return Role::Secondary;
  return Role::Unknown;  // "unknown", or a name from a newer format: never master
}

// A string-valued field of an object, or any other value skipped.
bool stringOrSkip(Scanner& scanner, std::string& out) {
  std::string_view raw;
  if (scanner.peekIs('"')) return scanner.string(out);
  return scanner.value(raw);
}

// The endpoints object: port name -> "address:port"; values that are not strings are skipped.
bool readEndpoints(Scanner& scanner, std::map<std::string, std::string>& endpoints) {
  if (!scanner.expect('{')) return false;
  if (scanner.peekIs('}')) return scanner.expect('}');
  do {
    std::string name;
    std::string endpoint;
    if (!scanner.string(name) || !scanner.expect(':') || !stringOrSkip(scanner, endpoint))
      return false;
    if (!endpoint.empty()) endpoints[name] = endpoint;
  } while (scanner.peekIs(',') && scanner.expect(','));
  return scanner.expect('}');
}

// masterPeer's "address" and "endpoints" (the rest stays in masterPeerJson). The object was
// already scanned as valid JSON; a field of an unexpected type leaves both empty.
void readMasterPeer(std::string_view json, RoleInfo& info) {
  Scanner scanner(json);
  std::string address;
  std::map<std::string, std::string> endpoints;
  bool ok = scanner.expect('{');
  if (ok && !scanner.peekIs('}')) {
    do {
      std::string key;
      std::string_view raw;
      ok = scanner.string(key) && scanner.expect(':');
      if (!ok) break;
      if (key == "address") {
        ok = stringOrSkip(scanner, address);
      } else if (key == "endpoints" && scanner.peekIs('{')) {
        ok = readEndpoints(scanner, endpoints);
      } else {
        ok = scanner.value(raw);
      }
    } while (ok && scanner.peekIs(',') && scanner.expect(','));
  }
  if (!ok) return;
  info.masterAddress = std::move(address);
  info.masterEndpoints = std::move(endpoints);
}

bool readField(Scanner& scanner, const std::string& key, RoleInfo& info, bool& sawRole) {
  bool negative = false;
  std::uint64_t magnitude = 0;
  std::string_view raw;
  if (key == "role") {
    std::string name;
    if (!scanner.string(name)) return false;
    info.role = roleFromName(name);
    sawRole = true;
  } else if (key == "epoch") {
    if (!scanner.integer(negative, magnitude)) return false;
    if (magnitude > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return false;
    info.epoch =
        negative ? -static_cast<std::int64_t>(magnitude) : static_cast<std::int64_t>(magnitude);
  } else if (key == "leaseUntilMonoNs") {
    if (!scanner.integer(negative, magnitude) || negative) return false;
    info.leaseUntilMonoNs = magnitude;
  } else if (key == "masterPeer") {
    if (!scanner.peekIs('{') || !scanner.value(raw)) return false;
    info.masterPeerJson = std::string(raw);
    readMasterPeer(raw, info);
  } else {
    return scanner.value(raw);
  }
  return true;
}

}  // namespace

std::optional<RoleInfo> parseRole(std::string_view text, std::string* error) {
  Scanner scanner(text);
  RoleInfo info;
  bool sawRole = false;
  bool ok = scanner.expect('{');
  if (ok && !scanner.peekIs('}')) {
    do {
      std::string key;
      ok = scanner.string(key) && scanner.expect(':') && readField(scanner, key, info, sawRole);
    } while (ok && scanner.peekIs(',') && scanner.expect(','));
  }
  ok = ok && scanner.expect('}') && scanner.atEnd();
  if (ok && !sawRole) {
    if (error) *error = "no \"role\" field";
    return std::nullopt;
  }
  if (!ok) {
    if (error) *error = scanner.failed() ? scanner.error() : "bad field value";
    return std::nullopt;
  }
  return info;
}

}  // namespace sm::services

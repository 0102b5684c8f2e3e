#include "services/lock_wire.hpp"

#include <charconv>
#include <vector>

namespace sm::services::lockwire {

namespace {

bool plain(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-' || c == '/' || c == ':' || c == ',';
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::vector<std::string_view> words(std::string_view line) {
  std::vector<std::string_view> out;
  while (!line.empty()) {
    auto space = line.find(' ');
    out.push_back(line.substr(0, space));
    if (space == std::string_view::npos) break;
    line.remove_prefix(space + 1);
  }
  return out;
}

template <typename T>
std::optional<T> number(std::string_view text) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return value;
}

struct Shape {
  Kind kind;
  const char* word;
  std::size_t words;  // including the kind
};
constexpr Shape kShapes[] = {
    {Kind::Acquire, "acquire", 3}, {Kind::Release, "release", 2}, {Kind::Held, "held", 4},
    {Kind::Lease, "lease", 3},     {Kind::Busy, "busy", 2},       {Kind::Released, "released", 2},
    {Kind::Lost, "lost", 3},       {Kind::Error, "error", 3},     {Kind::Refused, "refused", 2},
};

std::optional<Message> fail(std::string* error, std::string why) {
  if (error) *error = std::move(why);
  return std::nullopt;
}

}  // namespace

std::string percentEncode(std::string_view raw) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(raw.size());
  for (unsigned char c : raw) {
    if (plain(c)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xf];
    }
  }
  // An empty value still makes a word.
  return out.empty() ? "%" : out;
}

std::optional<std::string> percentDecode(std::string_view encoded) {
  if (encoded == "%") return std::string();
  std::string out;
  out.reserve(encoded.size());
  for (std::size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] != '%') {
      out += encoded[i];
      continue;
    }
    if (i + 2 >= encoded.size()) return std::nullopt;
    const int high = hexValue(encoded[i + 1]);
    const int low = hexValue(encoded[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

const char* kindName(Kind kind) {
  for (const auto& shape : kShapes) {
    if (shape.kind == kind) return shape.word;
  }
  return "?";
}

std::string encode(const Message& m) {
  std::string line = kindName(m.kind);
  auto add = [&line](std::string_view word) {
    line += ' ';
    line += word;
  };
  switch (m.kind) {
    case Kind::Acquire:
      add(std::to_string(m.timeoutMs));
      add(percentEncode(m.name));
      break;
    case Kind::Held:
      add(percentEncode(m.name));
      add(std::to_string(m.token));
      add(std::to_string(m.leaseUntilMonoNs));
      break;
    case Kind::Lease:
      add(percentEncode(m.name));
      add(std::to_string(m.leaseUntilMonoNs));
      break;
    case Kind::Release:
    case Kind::Busy:
    case Kind::Released:
      add(percentEncode(m.name));
      break;
    case Kind::Lost:
    case Kind::Error:
      add(percentEncode(m.name));
      add(percentEncode(m.text));
      break;
    case Kind::Refused:
      add(percentEncode(m.text));
      break;
  }
  line += '\n';
  return line;
}

std::optional<Message> parse(std::string_view line, std::string* error) {
  if (line.size() > kMaxLineBytes) return fail(error, "request: line too long");
  const auto w = words(line);
  if (w.empty() || w[0].empty()) return fail(error, "request: empty line");
  const Shape* shape = nullptr;
  for (const auto& s : kShapes) {
    if (w[0] == s.word) shape = &s;
  }
  if (!shape)
    return fail(error, "request: unknown message \"" + std::string(w[0].substr(0, 32)) + "\"");
  if (w.size() != shape->words) {
    return fail(error, std::string("request: ") + shape->word + " takes " +
                           std::to_string(shape->words - 1) + " argument(s)");
  }
  Message m;
  m.kind = shape->kind;
  auto decoded = [&](std::string_view word, const char* field, std::string& into) -> bool {
    auto value = percentDecode(word);
    if (!value) {
      if (error) *error = std::string(field) + ": bad percent-encoding";
      return false;
    }
    into = std::move(*value);
    return true;
  };
  switch (m.kind) {
    case Kind::Acquire: {
      auto timeout = number<std::int64_t>(w[1]);
      if (!timeout || *timeout < -1) return fail(error, "timeout: must be -1, 0 or a number of ms");
      m.timeoutMs = *timeout;
      if (!decoded(w[2], "name", m.name)) return std::nullopt;
      break;
    }
    case Kind::Held: {
      if (!decoded(w[1], "name", m.name)) return std::nullopt;
      auto token = number<std::int64_t>(w[2]);
      auto lease = number<std::uint64_t>(w[3]);
      if (!token || !lease) return fail(error, "held: bad token or lease");
      m.token = *token;
      m.leaseUntilMonoNs = *lease;
      break;
    }
    case Kind::Lease: {
      if (!decoded(w[1], "name", m.name)) return std::nullopt;
      auto lease = number<std::uint64_t>(w[2]);
      if (!lease) return fail(error, "lease: bad deadline");
      m.leaseUntilMonoNs = *lease;
      break;
    }
    case Kind::Release:
    case Kind::Busy:
    case Kind::Released:
      if (!decoded(w[1], "name", m.name)) return std::nullopt;
      break;
    case Kind::Lost:
    case Kind::Error:
      if (!decoded(w[1], "name", m.name) || !decoded(w[2], "text", m.text)) return std::nullopt;
      break;
    case Kind::Refused:
      if (!decoded(w[1], "text", m.text)) return std::nullopt;
      break;
  }
  return m;
}

}  // namespace sm::services::lockwire

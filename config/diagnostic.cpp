#include "config/diagnostic.hpp"

#include <fmt/format.h>

namespace sm::config {

std::string Diagnostic::str() const {
  std::string out = source;
  if (line > 0) {
    out += fmt::format(":{}:{}", line, column);
  }
  out += ": ";
  if (!path.empty()) {
    out += path;
    out += ": ";
  }
  out += message;
  return out;
}

std::string formatDiagnostics(const std::vector<Diagnostic>& diagnostics) {
  std::string out;
  for (const auto& d : diagnostics) {
    out += d.str();
    out += '\n';
  }
  return out;
}

}  // namespace sm::config

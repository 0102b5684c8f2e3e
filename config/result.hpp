#pragma once

#include <stdexcept>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "config/diagnostic.hpp"

namespace sm::config {

// Either a value or a non-empty list of diagnostics. Bad input (a file, foreign ZooKeeper data) is
// an expected outcome here, so it is a return value rather than an exception.
template <class T>
class Result {
 public:
  Result(T value) : state_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(std::vector<Diagnostic> errors) : state_(std::move(errors)) {  // NOLINT
    if (std::get<1>(state_).empty()) {
      throw std::logic_error("sm::config::Result: an error result needs at least one diagnostic");
    }
  }
  Result(Diagnostic error) : Result(std::vector<Diagnostic>{std::move(error)}) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // Calling value() on an error result is a programming error: it throws std::logic_error.
  const T& value() const& { return std::get<0>(checked()); }
  T& value() & { return std::get<0>(checked()); }
  T&& value() && { return std::get<0>(std::move(checked())); }

  // Empty when ok().
  const std::vector<Diagnostic>& errors() const {
    static const std::vector<Diagnostic> none;
    return ok() ? none : std::get<1>(state_);
  }
  // All diagnostics, one per line (each line ends with '\n').
  std::string errorText() const { return formatDiagnostics(errors()); }

 private:
  const std::variant<T, std::vector<Diagnostic>>& checked() const {
    if (!ok()) throw std::logic_error("sm::config::Result: value() on an error: " + errorText());
    return state_;
  }
  std::variant<T, std::vector<Diagnostic>>& checked() {
    if (!ok()) throw std::logic_error("sm::config::Result: value() on an error: " + errorText());
    return state_;
  }

  std::variant<T, std::vector<Diagnostic>> state_;
};

}  // namespace sm::config

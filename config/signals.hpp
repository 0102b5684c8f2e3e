#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sm::config {

// Signals are stored by name ("SIGTERM"), never by number: numbers differ between architectures and
// the spec is read by managers on every host.

// "SIGTERM", "TERM", "sigterm", "term" -> "SIGTERM", if the running system knows that signal.
// Numbers ("15") are not accepted. Real-time signals have no portable name and are not accepted.
std::optional<std::string> canonicalSignalName(std::string_view name);
// "SIGTERM" (or any form canonicalSignalName accepts) -> its number on this system.
std::optional<int> signalNumber(std::string_view name);
// Every canonical name this system knows, in signal-number order.
const std::vector<std::string>& knownSignalNames();

}  // namespace sm::config

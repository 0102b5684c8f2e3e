#pragma once

#include <string>
#include <string_view>

#include "config/layout.hpp"
#include "config/result.hpp"

namespace sm::config {

// Data of /<zroot>: {"format":1,"federation":"<name>"}.
struct RootData {
  std::string federation;
  bool operator==(const RootData&) const = default;
};

std::string encodeRootData(const RootData& data);
// The federation a root stands for: its last component ("/demo" -> "demo"), or "servicesmgr" when
// that is not a valid name. Whoever creates the root (servicesctl, a manager) writes it.
std::string federationName(const Layout& layout);
// Fields a newer writer adds are ignored (runtime documents are lenient); nothing throws.
Result<RootData> decodeRootData(std::string_view data, std::string_view znodePath);

}  // namespace sm::config

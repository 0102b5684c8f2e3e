#pragma once

#include <string>
#include <string_view>

#include "config/result.hpp"

namespace sm::config {

// Data of /<zroot>: {"format":1,"federation":"<name>"}.
struct RootData {
  std::string federation;
  bool operator==(const RootData&) const = default;
};

std::string encodeRootData(const RootData& data);
// Fields a newer writer adds are ignored (runtime documents are lenient); nothing throws.
Result<RootData> decodeRootData(std::string_view data, std::string_view znodePath);

}  // namespace sm::config

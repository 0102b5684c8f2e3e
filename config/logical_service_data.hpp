#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "config/result.hpp"

namespace sm::config {

// Data of config/<type>/logicalService<seq>: {"format":1,"uuid":"...","created":<ms since epoch>}.
struct LogicalServiceData {
  std::string uuid;
  std::int64_t created = 0;  // milliseconds since the Unix epoch (UTC)
  bool operator==(const LogicalServiceData&) const = default;
};

std::string encodeLogicalServiceData(const LogicalServiceData& data);
Result<LogicalServiceData> decodeLogicalServiceData(std::string_view data,
                                                    std::string_view znodePath);

}  // namespace sm::config

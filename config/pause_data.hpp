#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "config/result.hpp"

namespace sm::config {

// Data of paused/<type> (servicesctl pause, Patroni's maintenance mode): while it exists the
// managers start, stop, place, replace, scale and roll nothing of the type; running processes keep
// running and elections keep working. {"format":1,"since":<ms since the epoch>,"reason":"..."}.
struct PauseData {
  std::int64_t since = 0;
  std::string reason;  // the operator's, may be empty
  bool operator==(const PauseData&) const = default;
};

std::string encodePauseData(const PauseData& data);
Result<PauseData> decodePauseData(std::string_view data, std::string_view znodePath);

}  // namespace sm::config

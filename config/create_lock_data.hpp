#pragma once

#include <string>
#include <string_view>

#include "config/result.hpp"

namespace sm::config {

// Data of locks/createPhysicalService/<type>_logicalService<seq>:
// {"format":1,"logicalService":"<absolute path of the logical service znode>"}.
struct CreateLockData {
  std::string logicalService;
  bool operator==(const CreateLockData&) const = default;
};

std::string encodeCreateLockData(const CreateLockData& data);
Result<CreateLockData> decodeCreateLockData(std::string_view data, std::string_view znodePath);

}  // namespace sm::config

#pragma once
#include <string>

namespace sm::zk {

// A random (version 4) UUID in its usual text form.
std::string newUuid();

}  // namespace sm::zk

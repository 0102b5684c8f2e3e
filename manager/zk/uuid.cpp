#include "manager/zk/uuid.hpp"

#include <mutex>
#include <random>

#include <fmt/format.h>

namespace sm::zk {

std::string newUuid() {
  static std::mutex mutex;
  static std::mt19937_64 engine{std::random_device{}()};
  uint64_t high, low;
  {
    std::lock_guard lock(mutex);
    high = engine();
    low = engine();
  }
  high = (high & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  low = (low & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;    // RFC 4122 variant
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", high >> 32, (high >> 16) & 0xffff,
                     high & 0xffff, low >> 48, low & 0xffffffffffffULL);
}

}  // namespace sm::zk

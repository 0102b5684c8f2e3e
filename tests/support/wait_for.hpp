#pragma once
#include <chrono>
#include <functional>
#include <thread>

namespace sm::test {

// Waits until the condition holds or the deadline passes; returns the condition's last value.
// Tests synchronise with this, never with a bare sleep.
inline bool waitFor(const std::function<bool()>& condition,
                    std::chrono::milliseconds timeout = std::chrono::milliseconds(10000),
                    std::chrono::milliseconds poll = std::chrono::milliseconds(2)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return condition();
    std::this_thread::sleep_for(poll);
  }
}

}  // namespace sm::test

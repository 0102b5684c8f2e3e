#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <random>

#include "manager/supervisor/process_spec.hpp"

namespace sm::supervisor {

// Decides what follows an unplanned end of a run: the backoff before the next start, or a crash
// loop. Backoff doubles from backoffInitialMs to backoffMaxMs with +-20 % jitter (clamped to that
// range) so that many instances failing together do not restart in lockstep; the jitter is small
// enough that successive delays still grow. A steady run (>= steadyRunMs) starts the backoff over.
class RestartTracker {
 public:
  using Clock = std::chrono::steady_clock;

  struct Decision {
    bool crashLoop = false;
    int failuresInWindow = 0;
    std::chrono::milliseconds delay{0};
  };

  explicit RestartTracker(const RestartSpec& spec, std::uint32_t seed = std::random_device{}());

  Decision recordFailure(Clock::time_point now, Clock::duration runTime);

 private:
  RestartSpec spec_;
  int consecutive_ = 0;
  std::deque<Clock::time_point> failures_;
  std::mt19937 random_;
};

}  // namespace sm::supervisor

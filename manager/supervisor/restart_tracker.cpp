#include "manager/supervisor/restart_tracker.hpp"

#include <algorithm>

namespace sm::supervisor {

RestartTracker::RestartTracker(const RestartSpec& spec, std::uint32_t seed)
    : spec_(spec), random_(seed) {
  spec_.backoffInitialMs = std::max(spec_.backoffInitialMs, 0);
  spec_.backoffMaxMs = std::max(spec_.backoffMaxMs, spec_.backoffInitialMs);
  spec_.crashLoopFailures = std::max(spec_.crashLoopFailures, 1);
}

RestartTracker::Decision RestartTracker::recordFailure(Clock::time_point now,
                                                       Clock::duration runTime) {
  Decision decision;
  failures_.push_back(now);
  auto window = std::chrono::seconds(spec_.crashLoopWindowSeconds);
  while (!failures_.empty() && now - failures_.front() > window) failures_.pop_front();
  decision.failuresInWindow = static_cast<int>(failures_.size());
  decision.crashLoop = decision.failuresInWindow >= spec_.crashLoopFailures;

  if (runTime >= std::chrono::milliseconds(spec_.steadyRunMs)) consecutive_ = 0;
  ++consecutive_;
  double base = spec_.backoffInitialMs;
  for (int i = 1; i < consecutive_ && base < spec_.backoffMaxMs; ++i) base *= 2;
  std::uniform_real_distribution<double> jitter(0.8, 1.2);
  double delay = std::clamp(base * jitter(random_), static_cast<double>(spec_.backoffInitialMs),
                            static_cast<double>(spec_.backoffMaxMs));
  decision.delay = std::chrono::milliseconds(static_cast<std::int64_t>(delay));
  return decision;
}

}  // namespace sm::supervisor

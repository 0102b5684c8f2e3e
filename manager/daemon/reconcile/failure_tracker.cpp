#include "manager/daemon/reconcile/failure_tracker.hpp"

#include <algorithm>

#include <fmt/format.h>

namespace sm::daemon {

FailureTracker::Verdict FailureTracker::recordExit(const std::string& type,
                                                   const config::Restart& restart,
                                                   std::int64_t nowMs, const std::string& what) {
  auto& t = types_[type];
  const std::int64_t windowMs = restart.crashLoop.windowSeconds * 1000;
  t.exits.push_back(nowMs);
  while (!t.exits.empty() && t.exits.front() <= nowMs - windowMs) t.exits.pop_front();
  ++t.consecutive;
  std::int64_t backoff = restart.backoffInitialMs;
  for (int i = 1; i < t.consecutive && backoff < restart.backoffMaxMs; ++i) backoff *= 2;
  backoff = std::min(backoff, restart.backoffMaxMs);

  if (static_cast<std::int64_t>(t.exits.size()) >= restart.crashLoop.failures) {
    return coolDown(t, type, restart, nowMs,
                    fmt::format("crash loop: {} exits in {} s, last: {}", t.exits.size(),
                                restart.crashLoop.windowSeconds, what),
                    backoff);
  }
  Verdict verdict;
  verdict.message = what;
  t.retryAtMs = nowMs + backoff;
  verdict.retryAtMs = t.retryAtMs;
  return verdict;
}

FailureTracker::Verdict FailureTracker::recordCrashLoop(const std::string& type,
                                                        const config::Restart& restart,
                                                        std::int64_t nowMs, const std::string& what) {
  auto& t = types_[type];
  ++t.consecutive;
  return coolDown(t, type, restart, nowMs, what, 0);
}

FailureTracker::Verdict FailureTracker::coolDown(PerType& t, const std::string& type,
                                                 const config::Restart& restart,
                                                 std::int64_t nowMs, std::string message,
                                                 std::int64_t backoff) {
  const std::int64_t windowMs = restart.crashLoop.windowSeconds * 1000;
  Verdict verdict;
  verdict.crashLoop = true;
  verdict.message = std::move(message);
  t.cooldown = config::HostCooldown{type, nowMs + windowMs, verdict.message};
  t.exits.clear();
  t.retryAtMs = nowMs + std::max(backoff, windowMs);
  verdict.retryAtMs = t.retryAtMs;
  return verdict;
}

void FailureTracker::recordSteady(const std::string& type) {
  auto it = types_.find(type);
  if (it != types_.end()) it->second.consecutive = 0;
}

bool FailureTracker::mayStart(const std::string& type, std::int64_t nowMs) const {
  auto it = types_.find(type);
  return it == types_.end() || it->second.retryAtMs <= nowMs;
}

std::vector<config::HostCooldown> FailureTracker::cooldowns(std::int64_t nowMs) const {
  std::vector<config::HostCooldown> result;
  for (const auto& [type, t] : types_) {
    if (t.cooldown && t.cooldown->until > nowMs) result.push_back(*t.cooldown);
  }
  return result;
}

std::optional<std::int64_t> FailureTracker::nextExpiry(std::int64_t nowMs) const {
  std::optional<std::int64_t> next;
  for (const auto& [type, t] : types_) {
    for (auto at : {t.retryAtMs, t.cooldown ? t.cooldown->until : 0}) {
      if (at > nowMs && (!next || at < *next)) next = at;
    }
  }
  return next;
}

}  // namespace sm::daemon

#pragma once
// GET /metrics: the Prometheus text exposition format (version 0.0.4) of an ObservedState.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "manager/observe/observed_state.hpp"
#include "manager/observe/proc_stats.hpp"

namespace sm::observe {

// `monoNowNs` decides which masters' leases still hold; `procStats` reads a process's RSS and CPU
// (readProcStats, or a fake in unit tests).
std::string renderMetrics(const ObservedState& state, std::uint64_t monoNowNs,
                          const std::function<std::optional<ProcStats>(pid_t)>& procStats =
                              readProcStats);

// A label value in the exposition format: backslash, double quote and newline escaped.
std::string escapeLabelValue(const std::string& value);

}  // namespace sm::observe

#pragma once

#include "config/host_data.hpp"
#include "manager/daemon/options.hpp"

namespace sm::daemon {

// What this host offers, from /proc (or the operator's overrides): capacity and load.
struct HostMetrics {
  config::HostCapacity capacity;
  double load = 0;
};
HostMetrics measureHost(const DaemonOptions& options);

// Whether new metrics differ enough from the published ones to be worth a write: the tree is not
// a time series, and a manager that rewrote its load every few seconds would never be idle.
bool metricsChangedMeaningfully(const HostMetrics& published, const HostMetrics& now);

}  // namespace sm::daemon

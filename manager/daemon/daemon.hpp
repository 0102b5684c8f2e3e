#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "manager/daemon/config_monitor.hpp"
#include "manager/daemon/context.hpp"
#include "manager/daemon/host_registry.hpp"
#include "manager/daemon/local_instances.hpp"
#include "manager/daemon/placer.hpp"

namespace sm::daemon {

// One servicesmgr: a single reconcile loop that ZooKeeper watches, process events and timers only
// wake. Each pass reads the tree (through the cache: free when nothing changed), decides in pure
// functions (reconcile/), then writes: config monitor, local instances, placement, host node.
class Daemon {
 public:
  explicit Daemon(DaemonOptions options);
  ~Daemon();

  // Runs until requestStop(); returns the process exit code.
  int run();
  // From any thread (the signal thread): graceful stop.
  void requestStop();

 private:
  void wake();
  // Retries until connected or stopping; `onRetry` runs after each failed attempt.
  bool connect(const std::function<void()>& onRetry = {});
  // One reconcile pass; returns when the next is due even if nothing wakes the loop.
  std::optional<std::chrono::steady_clock::time_point> pass();
  void onSessionLost();
  void shutdown();
  void report(const std::string& path, const std::string& error);
  // Waits for a wake-up, a stop, or `until`.
  void waitForWork(std::optional<std::chrono::steady_clock::time_point> until);

  DaemonContext context_;
  std::unique_ptr<LocalInstances> instances_;
  std::unique_ptr<HostRegistry> hosts_;
  std::unique_ptr<ConfigMonitor> monitor_;
  std::unique_ptr<Placer> placer_;

  std::mutex mutex_;
  std::condition_variable wakeup_;
  bool dirty_ = true;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> sessionLost_{false};
  std::set<std::pair<std::string, std::string>> reported_;
  std::chrono::steady_clock::time_point nextMetrics_{};
};

}  // namespace sm::daemon

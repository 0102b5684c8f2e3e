#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "config/host_data.hpp"
#include "manager/daemon/context.hpp"
#include "manager/daemon/host_metrics.hpp"

namespace sm::daemon {

// Another manager is live under our host id.
class HostIdTaken : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// This manager's ephemeral hosts/<hostId>: created at start, rewritten only when what it says
// changes meaningfully (running count, cooldowns, metrics past a threshold), recreated if removed.
class HostRegistry {
 public:
  explicit HostRegistry(DaemonContext& context);

  // Throws HostIdTaken when another session owns the node.
  void registerHost();
  // The HTTP endpoint's "address:port" published in hosts/<id> (servicesctl logs); before
  // registerHost().
  void setHttpEndpoint(std::string endpoint) { httpEndpoint_ = std::move(endpoint); }
  // Publishes what changed; `refreshMetrics` re-measures load and memory first. A change of the
  // running count alone is published at most once a second (it moves with every placement while a
  // cluster converges); the moment it is due is returned, for the loop to come back then.
  std::optional<std::chrono::steady_clock::time_point> update(
      std::int64_t running, std::vector<config::HostCooldown> cooldowns, bool refreshMetrics);
  void unregister();
  // What hosts/<id> says since this manager last wrote it; unset before it registered.
  const std::optional<config::HostData>& published() const { return published_; }

 private:
  config::HostData desired(std::int64_t running, std::vector<config::HostCooldown> cooldowns);

  DaemonContext& context_;
  HostMetrics metrics_;
  std::int64_t started_ = 0;
  std::string httpEndpoint_;
  std::optional<config::HostData> published_;
  std::int32_t version_ = 0;
  std::chrono::steady_clock::time_point lastWrite_{};
  // Sessions this daemon registered the host with: a node one of them left is not a rival's.
  std::set<std::int64_t> ownSessions_;
};

}  // namespace sm::daemon

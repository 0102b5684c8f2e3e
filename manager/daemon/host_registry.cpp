#include "manager/daemon/host_registry.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "manager/zk/error.hpp"

namespace sm::daemon {

namespace {
constexpr const char* kVersion = "0.1.0";
constexpr std::chrono::seconds kRunningCountInterval{1};
}  // namespace

std::int64_t wallNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

HostRegistry::HostRegistry(DaemonContext& context)
    : context_(context), metrics_(measureHost(context.options)), started_(wallNowMs()) {}

config::HostData HostRegistry::desired(std::int64_t running,
                                       std::vector<config::HostCooldown> cooldowns) {
  config::HostData data;
  data.labels = context_.options.labels;
  data.capacity = metrics_.capacity;
  data.load = metrics_.load;
  data.running = running;
  data.version = kVersion;
  data.started = started_;
  data.address = context_.options.address;
  data.http = httpEndpoint_;
  data.cooldowns = std::move(cooldowns);
  return data;
}

void HostRegistry::registerHost() {
  auto session = context_.session();
  const auto path = context_.layout.host(context_.options.hostId);
  auto data = published_ ? *published_ : desired(0, {});
  for (;;) {
    if (auto stat = session->exists(path)) {
      if (ownSessions_.contains(stat->ephemeralOwner) && stat->ephemeralOwner != session->id()) {
        // Left by a session of ours that is being replaced: not another daemon.
        try {
          session->remove(path, stat->version);
        } catch (const zk::ZkError& e) {
          if (e.code() != zk::Code::NoNode && e.code() != zk::Code::BadVersion) throw;
        }
        continue;
      }
      if (stat->ephemeralOwner != session->id()) {
        throw HostIdTaken(fmt::format(
            "host id \"{}\" is already live: {} belongs to session 0x{:x}; is another servicesmgr "
            "running with --host-id {}?",
            context_.options.hostId, path, stat->ephemeralOwner, context_.options.hostId));
      }
      version_ = stat->version;
      published_.reset();  // rewritten by the next update()
      return;
    }
    try {
      session->create(path, config::encodeHostData(data), zk::CreateMode::Ephemeral);
      ownSessions_.insert(session->id());
      version_ = 0;
      published_ = data;
      spdlog::info("registered host {} at {}", context_.options.hostId, path);
      return;
    } catch (const zk::ZkError& e) {
      if (e.code() != zk::Code::NodeExists) throw;  // raced with another manager: look again
    }
  }
}

std::optional<std::chrono::steady_clock::time_point> HostRegistry::update(
    std::int64_t running, std::vector<config::HostCooldown> cooldowns, bool refreshMetrics) {
  if (refreshMetrics) {
    auto now = measureHost(context_.options);
    if (metricsChangedMeaningfully(metrics_, now)) metrics_ = now;
  }
  auto data = desired(running, std::move(cooldowns));
  if (published_ && *published_ == data) return std::nullopt;
  const auto now = std::chrono::steady_clock::now();
  if (published_) {
    auto onlyCount = *published_;
    onlyCount.running = data.running;
    if (onlyCount == data && now < lastWrite_ + kRunningCountInterval) {
      return lastWrite_ + kRunningCountInterval;
    }
  }
  const auto path = context_.layout.host(context_.options.hostId);
  try {
    version_ = context_.session()->set(path, config::encodeHostData(data), version_).version;
    published_ = data;
    lastWrite_ = now;
  } catch (const zk::ZkError& e) {
    if (e.code() != zk::Code::NoNode && e.code() != zk::Code::BadVersion) throw;
    // Removed or rewritten by someone else: take the node back.
    spdlog::warn("{} was {} by another client; registering again", path,
                 e.code() == zk::Code::NoNode ? "deleted" : "changed");
    published_ = data;
    if (e.code() == zk::Code::BadVersion) context_.session()->remove(path);
    registerHost();
  }
  return std::nullopt;
}

void HostRegistry::unregister() {
  try {
    context_.session()->remove(context_.layout.host(context_.options.hostId));
  } catch (const zk::ZkError& e) {
    if (e.code() != zk::Code::NoNode) throw;
  }
  published_.reset();
}

}  // namespace sm::daemon

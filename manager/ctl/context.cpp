#include "manager/ctl/context.hpp"

#include <cstdlib>

#include <fmt/format.h>

#include "config/names.hpp"
#include "manager/ctl/cli_error.hpp"
#include "manager/zk/server_probe.hpp"

namespace sm::ctl {

namespace {
constexpr std::chrono::milliseconds kRefusalProbe{2000};
}  // namespace

config::Layout layoutFor(const GlobalOptions& global) {
  if (auto problem = config::checkZroot(global.root)) {
    throw usageError(fmt::format("--root \"{}\": {}", global.root, *problem));
  }
  return config::Layout(global.root);
}

Context connect(const GlobalOptions& global) {
  auto layout = layoutFor(global);
  zk::SessionOptions options;
  options.hosts = global.zk;
  options.connectTimeout = std::chrono::milliseconds(global.timeoutMs);
  if (!global.auth.empty()) {
    auto colon = global.auth.find(':');
    if (colon == std::string::npos) throw usageError("--auth: expected USER:PASSWORD");
    options.credentials.push_back({global.auth.substr(0, colon), global.auth.substr(colon + 1)});
  }
  if (global.readAccess == "credentials") {
    if (options.credentials.empty()) throw usageError("--read-access credentials needs --auth");
    options.defaultAcl = zk::creatorAllAcl();
  }
  // Every server refusing (nothing listens there): say so at once rather than after the whole
  // connect timeout of retries.
  if (!zk::anyServerAccepts(global.zk, std::min(options.connectTimeout, kRefusalProbe))) {
    throw operationFailed(fmt::format(
        "cannot reach ZooKeeper at {}: every server refused the connection (is it running?)",
        global.zk));
  }
  try {
    return Context{global, std::move(layout), zk::Session::connect(options)};
  } catch (const std::exception& e) {
    throw operationFailed(fmt::format("cannot reach ZooKeeper at {} within {} ms: {}", global.zk,
                                      global.timeoutMs, e.what()));
  }
}

void requireTypeName(const std::string& name) {
  if (auto problem = config::checkServiceTypeName(name)) {
    throw usageError(fmt::format("service type name: {}", *problem));
  }
}

std::int64_t nowMs() {
  if (const char* fixed = std::getenv("SERVICESMGR_TEST_NOW_MS")) return std::atoll(fixed);
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace sm::ctl

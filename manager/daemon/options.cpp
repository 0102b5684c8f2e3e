#include "manager/daemon/options.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <climits>
#include <cstdlib>

#include "config/layout.hpp"
#include "config/names.hpp"

namespace sm::daemon {

namespace {

std::string hostname() {
  char name[HOST_NAME_MAX + 1] = {};
  if (gethostname(name, sizeof name) != 0) return "localhost";
  return name;
}

// Durable, never /tmp: persistent data must outlive a reboot.
std::string defaultDataDir() {
  if (geteuid() == 0) return "/var/lib/servicesmgr";
  if (const char* state = std::getenv("XDG_STATE_HOME"); state && state[0] == '/') {
    return std::string(state) + "/servicesmgr";
  }
  if (const char* home = std::getenv("HOME"); home && home[0] == '/') {
    return std::string(home) + "/.local/state/servicesmgr";
  }
  return "/var/lib/servicesmgr";
}

// "k=v,k2=v2" -> labels, each key and value checked like the YAML's hostLabels.
std::map<std::string, std::string> parseLabels(const std::string& text) {
  std::map<std::string, std::string> labels;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    const auto item = text.substr(start, end - start);
    const auto eq = item.find('=');
    if (eq == std::string::npos) {
      throw CLI::ValidationError("--labels", "expected k=v[,k=v...], got \"" + item + "\"");
    }
    auto key = item.substr(0, eq);
    auto value = item.substr(eq + 1);
    if (auto error = config::checkLabelKey(key)) throw CLI::ValidationError("--labels", *error);
    if (auto error = config::checkLabelValue(value)) {
      throw CLI::ValidationError("--labels", *error);
    }
    labels[key] = value;
    start = end + 1;
  }
  return labels;
}

}  // namespace

ParsedOptions parseOptions(int argc, char** argv) {
  DaemonOptions options;
  CLI::App app{
      "servicesmgr: runs on every host; places, supervises and elects the services declared in "
      "ZooKeeper (see docs/)."};
  app.set_config("--config", "", "read options from an INI/TOML file (keys are the long names)");
  app.set_version_flag("--version", std::string("servicesmgr ") + SM_VERSION);
  std::string labels;
  std::string auth;
  std::int64_t sessionTimeoutMs = options.sessionTimeout.count();
  app.add_option("--zk", options.zk, "ZooKeeper connect string HOST:PORT[,HOST:PORT...]")
      ->envname("SERVICESMGR_ZK")
      ->capture_default_str();
  auto* root = app.add_option("--root", options.root, "the federation's root znode")
                   ->envname("SERVICESMGR_ROOT")
                   ->capture_default_str();
  app.add_option("--host-id", options.hostId, "this host's id (default: the hostname)");
  app.add_option("--address", options.address,
                 "where other hosts reach this host's services, in peers files (default: the "
                 "hostname)")
      ->envname("SERVICESMGR_ADDRESS");
  app.add_option("--labels", labels, "host labels k=v[,k=v...] for hostLabels constraints");
  app.add_option("--work-dir", options.workDir,
                 "instances' logs and role files (default: /tmp/servicesmgr-<host-id>)");
  app.add_option("--data-dir", options.dataDir,
                 "persistent instances' data, kept across restarts and reboots (default: "
                 "/var/lib/servicesmgr as root, else ~/.local/state/servicesmgr)");
  app.add_option("--session-timeout-ms", sessionTimeoutMs, "ZooKeeper session timeout")
      ->check(CLI::Range(1000, 600000))
      ->capture_default_str();
  app.add_option("--log-level", options.logLevel, "trace|debug|info|warn|error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error"}))
      ->capture_default_str();
  app.add_option("--auth", auth, "digest credentials USER:PASSWORD")->envname("SERVICESMGR_AUTH");
  std::string readAccess = "world";
  app.add_option("--read-access", readAccess,
                 "with --auth, who may read the nodes it creates: world|credentials")
      ->envname("SERVICESMGR_READ_ACCESS")
      ->check(CLI::IsMember({"world", "credentials"}))
      ->capture_default_str();
  app.add_option("--free-memory-mb", options.freeMemoryMB,
                 "report this much free memory instead of measuring it")
      ->check(CLI::Range(std::int64_t{0}, std::int64_t{1} << 40));
  app.add_option("--load-average", options.loadAverage,
                 "report this load average instead of measuring it")
      ->check(CLI::Range(0.0, 1e6));
  auto* dev = app.add_flag("--dev", options.dev,
                           "development mode: start a private ZooKeeper (Debian package) and use "
                           "a temp root and work dir; prints the connect string; --zk is ignored");
  app.add_option("--dev-env-file", options.devEnvFile,
                 "with --dev: also write the `export SERVICESMGR_ZK=... SERVICESMGR_ROOT=...` "
                 "line to this file (removed on exit)")
      ->needs(dev);
  std::string http;
  app.add_option("--http", http,
                 "serve metrics, health and master checks over HTTP on ADDR:PORT (e.g. "
                 "127.0.0.1:9464; off by default, and never on all interfaces unless ADDR is "
                 "0.0.0.0)")
      ->envname("SERVICESMGR_HTTP");
  try {
    app.parse(argc, argv);
    if (!http.empty()) {
      std::string error;
      options.http = observe::parseHttpAddress(http, error);
      if (!options.http) throw CLI::ValidationError("--http", error);
    }
    options.rootGiven = root->count() > 0;
    if (options.hostId.empty()) options.hostId = hostname();
    if (options.address.empty()) options.address = hostname();
    if (auto error = config::checkHostId(options.hostId)) {
      throw CLI::ValidationError("--host-id", *error);
    }
    if (auto error = config::checkZroot(options.root)) {
      throw CLI::ValidationError("--root", *error);
    }
    if (!labels.empty()) options.labels = parseLabels(labels);
    if (!auth.empty()) {
      auto colon = auth.find(':');
      if (colon == std::string::npos)
        throw CLI::ValidationError("--auth", "expected USER:PASSWORD");
      options.credentials.push_back({auth.substr(0, colon), auth.substr(colon + 1)});
    }
    options.credentialsOnlyRead = readAccess == "credentials";
    if (options.credentialsOnlyRead && options.credentials.empty()) {
      throw CLI::ValidationError("--read-access", "credentials needs --auth");
    }
    // --dev puts it in its own temp folder.
    if (options.workDir.empty() && !options.dev) {
      options.workDir = "/tmp/servicesmgr-" + options.hostId;
    }
    if (options.dataDir.empty() && !options.dev) options.dataDir = defaultDataDir();
    if (!options.dataDir.empty() && options.dataDir.front() != '/') {
      throw CLI::ValidationError("--data-dir", "must be an absolute path");
    }
    options.sessionTimeout = std::chrono::milliseconds(sessionTimeoutMs);
  } catch (const CLI::ParseError& e) {
    return {std::nullopt, app.exit(e)};
  }
  return {std::move(options), 0};
}

}  // namespace sm::daemon

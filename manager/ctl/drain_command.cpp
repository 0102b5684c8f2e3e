#include "manager/ctl/drain_command.hpp"

#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "config/cordon_data.hpp"
#include "config/names.hpp"
#include "manager/ctl/cli_error.hpp"
#include "manager/ctl/operator_event.hpp"
#include "manager/ctl/cluster_wait.hpp"
#include "manager/ctl/output_format.hpp"
#include "manager/ctl/wait_command.hpp"
#include "manager/zk/error.hpp"

namespace sm::ctl {

namespace {

constexpr const char* kDefaultDrainTimeout = "300s";

struct DrainOptions {
  std::string host;
  bool wait = false;
  std::string timeout = kDefaultDrainTimeout;
  bool movePersistent = false;
  std::string reason;
  std::string output = "table";
};

struct HostInstance {
  std::string type;
  config::LogicalServiceId logical;
  std::string uuid;
  model::Role role = model::Role::Unelected;
  bool persistent = false;
  bool paused = false;
};

// The registered instances on `host`, by uuid.
std::map<std::string, HostInstance> instancesOn(const model::ClusterSnapshot& snapshot,
                                                const std::string& host) {
  std::map<std::string, HostInstance> out;
  for (const auto& [name, type] : snapshot.types) {
    const bool persistent = type.stored && type.stored->type.spec.persistent;
    const bool paused = snapshot.isPaused(name);
    for (const auto& [sequence, logical] : type.logical) {
      for (const auto& [uuid, instance] : logical.physical) {
        if (instance.data && instance.data->host == host) {
          out.emplace(uuid, HostInstance{type.name, logical.id, uuid, logical.roleOf(uuid),
                                         persistent, paused});
        }
      }
    }
  }
  return out;
}

const model::HostView* findHost(const model::ClusterSnapshot& snapshot, const std::string& id) {
  const auto it = snapshot.hosts.find(id);
  return it == snapshot.hosts.end() ? nullptr : &it->second;
}

std::string label(const HostInstance& i) {
  return fmt::format("{}/{} {}", i.type, i.logical.sequence, i.uuid);
}

// Instances of the same logical service registered elsewhere that were not there at the start.
// Listed in failover order, as `get physical` lists them.
std::vector<std::string> replacements(const model::ClusterSnapshot& snapshot,
                                      const HostInstance& moved,
                                      const std::set<std::string>& before,
                                      const std::string& host) {
  std::vector<std::string> out;
  const auto* logical = snapshot.logical(moved.logical);
  if (!logical) return out;
  for (const auto* instance : logical->inFailoverOrder()) {
    if (instance->data && instance->data->host != host && !before.contains(instance->uuid)) {
      out.push_back(fmt::format("{} on {}", instance->uuid, instance->data->host));
    }
  }
  return out;
}

// `cordoned`: the host is registered and cordoned already.
void markDraining(Context& ctx, const DrainOptions& options, bool cordoned) {
  const auto path = ctx.layout.cordon(options.host);
  config::CordonData data{nowMs(), options.reason, true, options.movePersistent};
  if (cordoned) {
    // Cordoned already: it keeps its time and reason unless a new reason is given.
    auto node = ctx.session->get(path);
    if (node) {
      auto old = config::decodeCordonData(node->data, path);
      if (old) {
        data.since = old.value().since;
        if (options.reason.empty()) data.reason = old.value().reason;
      }
      ctx.session->set(path, config::encodeCordonData(data), node->stat.version);
      return;
    }
  }
  ctx.session->ensurePath(ctx.layout.cordonsDir());
  try {
    ctx.session->create(path, config::encodeCordonData(data));
  } catch (const zk::ZkError& e) {
    if (e.code() != zk::Code::NodeExists) throw;
    throw operationFailed(fmt::format("{} was cordoned meanwhile; run drain again", options.host));
  }
}

int runDrain(const GlobalOptions& global, const DrainOptions& options) {
  if (auto problem = config::checkHostId(options.host)) {
    throw usageError(fmt::format("host \"{}\": {}", options.host, *problem));
  }
  const auto timeout = waitTimeout(options.timeout);
  const auto format = parseOutputFormat(options.output);
  // -o json|yaml: one document at the end instead of the lines.
  std::ostringstream sink;
  std::ostream& text = format == OutputFormat::Table ? std::cout : sink;
  nlohmann::ordered_json document = {{"host", options.host}};
  auto finish = [&](int code) {
    if (format != OutputFormat::Table) std::cout << renderDocument(document, format);
    return code;
  };
  auto ctx = connect(global);
  ctx.session->sync(ctx.layout.root());
  const auto snapshot = readCluster(*ctx.session, ctx.layout);
  const auto* host = findHost(snapshot, options.host);
  const bool cordoned = ctx.session->exists(ctx.layout.cordon(options.host)).has_value();
  if (!host && !cordoned) {
    throw operationFailed(fmt::format(
        "host \"{}\" is not registered (no {}; servicesctl get hosts lists them); nothing changed",
        options.host, ctx.layout.host(options.host)));
  }
  const auto start = instancesOn(snapshot, options.host);
  const bool alreadyDraining = host && snapshot.isDraining(options.host);
  if (alreadyDraining) {
    if (start.empty() && (!host->data || host->data->running == 0)) {
      text << fmt::format("{}: already drained (nothing managed runs there)\n", options.host);
      document["drained"] = true;
      return finish(kExitOk);
    }
    text << fmt::format("{}: already draining, {} instance{} left\n", options.host,
                             start.size(), start.size() == 1 ? "" : "s");
  } else {
    markDraining(ctx, options, host && snapshot.cordonOf(options.host));
    recordOperatorEvent(ctx, "",
                        fmt::format("drain of {}{}{}", options.host,
                                    options.movePersistent ? " (--move-persistent)" : "",
                                    options.reason.empty() ? "" : ": " + options.reason));
    text << fmt::format("{}: cordoned and draining: {} instance{} to move\n", options.host,
                             start.size(), start.size() == 1 ? "" : "s");
  }
  bool anyPersistent = false;
  document["instances"] = nlohmann::ordered_json::array();
  for (const auto& [uuid, instance] : start) {
    anyPersistent = anyPersistent || instance.persistent;
    document["instances"].push_back({{"type", instance.type},
                                     {"logical", instance.logical.sequence},
                                     {"uuid", uuid},
                                     {"role", std::string(model::roleName(instance.role))},
                                     {"persistent", instance.persistent}});
    text << fmt::format(
        "  {} ({}{})\n", label(instance),
        model::roleName(instance.role) == "-" ? "unelected" : model::roleName(instance.role),
        instance.persistent ? options.movePersistent ? ", persistent: gets a new identity elsewhere"
                                                     : ", persistent: stopped, kept for the host"
                            : "");
  }
  std::set<std::string> paused;
  for (const auto& [uuid, instance] : start) {
    if (instance.paused) paused.insert(instance.type);
  }
  for (const auto& type : paused) {
    text << fmt::format("  note: {} is paused: its instances stay until `servicesctl resume "
                             "{}`\n",
                             type, type);
  }
  if (anyPersistent && options.movePersistent) {
    std::cerr << fmt::format(
        "WARNING: --move-persistent: the persistent instances on {} are abandoned and start "
        "elsewhere as NEW identities with EMPTY data directories; their data stays on {} "
        "(servicesctl forget --purge-data removes it)\n",
        options.host, options.host);
  }
  if (!options.wait) return finish(kExitOk);

  std::set<std::string> before;
  for (const auto& [name, type] : snapshot.types) {
    for (const auto& [sequence, logical] : type.logical) {
      for (const auto& [uuid, instance] : logical.physical) before.insert(uuid);
    }
  }
  auto left = start;
  std::int64_t processes = 0;
  document["moved"] = nlohmann::ordered_json::array();
  const bool done =
      waitForCluster(ctx, ReadOptions{}, timeout, [&](const model::ClusterSnapshot& now) {
        const auto current = instancesOn(now, options.host);
        for (auto it = left.begin(); it != left.end();) {
          if (current.contains(it->first)) {
            ++it;
            continue;
          }
          const auto moved = replacements(now, it->second, before, options.host);
          document["moved"].push_back({{"uuid", it->first}, {"replacements", moved}});
          text << fmt::format("  {}: stopped on {}{}\n", label(it->second), options.host,
                              it->second.persistent && !options.movePersistent
                                  ? " (its identity waits for the host)"
                              : moved.empty()
                                  ? ""
                                  : fmt::format("; replacement {}", fmt::join(moved, ", ")));
          it = left.erase(it);
        }
        for (const auto& [uuid, instance] : current) left.emplace(uuid, instance);
        const auto* h = findHost(now, options.host);
        processes = h && h->data ? h->data->running : 0;
        return left.empty() && processes == 0;
      });
  document["done"] = done;
  document["left"] = nlohmann::ordered_json::array();
  for (const auto& [uuid, instance] : left) document["left"].push_back(uuid);
  document["processes"] = processes;
  if (!done) {
    std::cerr << fmt::format("servicesctl: drain of {} not done after {}:\n", options.host,
                             options.timeout);
    for (const auto& [uuid, instance] : left) std::cerr << "  still there: " << label(instance) << "\n";
    if (left.empty() && processes > 0) {
      std::cerr << fmt::format("  {} managed process{} still running there (stopping)\n",
                               processes, processes == 1 ? "" : "es");
    }
    return finish(kExitFailed);
  }
  text << fmt::format("{}: drained (no managed process left); `servicesctl uncordon {}` "
                           "takes placements again\n",
                           options.host, options.host);
  return finish(kExitOk);
}

}  // namespace

Command addDrainCommand(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<DrainOptions>();
  auto* sub = app.add_subcommand("drain", "cordon a host and move every instance off it");
  sub->add_option("host", options->host, "the host id (servicesctl get hosts)")->required();
  sub->add_flag("--wait", options->wait,
                "return when no managed process is left on the host (exit 1 at --timeout, with "
                "what is still there)");
  sub->add_option("--timeout", options->timeout, "how long --wait waits: 300s, 10m")
      ->capture_default_str();
  sub->add_flag("--move-persistent", options->movePersistent,
                "persistent instances get new identities elsewhere (their data stays here); by "
                "default they stop and keep their identity for the host");
  sub->add_option("--reason", options->reason, "why, shown by get hosts");
  sub->add_option("-o,--output", options->output, "table (lines as it goes), json or yaml (one "
                                                   "document at the end)")
      ->check(CLI::IsMember(
          std::vector<std::string>(std::begin(kOutputFormats), std::end(kOutputFormats))))
      ->capture_default_str();
  sub->footer(
      "Masters hand over first (told `unknown`, then the next in line is master). A replacement "
      "is\nregistered on another host before an instance stops when a host can take it; one "
      "instance of a\nlogical service moves at a time, and none drops below replicationCount - 1 "
      "because of the\ndrain. `servicesctl uncordon HOST` ends it; stopped persistent instances "
      "then start again there.");
  return {sub, [&global, options] { return runDrain(global, *options); }};
}

}  // namespace sm::ctl

#include "manager/ctl/logs_command.hpp"

#include <httplib.h>

#include <iostream>

#include <fmt/format.h>

#include "config/host_data.hpp"
#include "config/names.hpp"
#include "config/physical_service_data.hpp"
#include "manager/ctl/cli_error.hpp"

namespace sm::ctl {

namespace {

struct LogsOptions {
  std::string type;
  std::string uuid;
  int tail = 100;
  bool follow = false;
  bool stderrStream = false;
};

// The host that runs `uuid` of `type`, from its physicalService znode.
std::string hostOf(Context& ctx, const LogsOptions& options) {
  const auto& layout = ctx.layout;
  const auto typePath = layout.serviceType(options.type);
  const auto children = ctx.session->children(typePath);
  if (!children) {
    throw operationFailed(fmt::format("no service type \"{}\" ({})", options.type, typePath));
  }
  for (const auto& child : *children) {
    const auto sequence = config::Layout::parseLogicalServiceName(child);
    if (!sequence) continue;
    const config::PhysicalServiceId id{{options.type, *sequence}, options.uuid};
    const auto path = layout.physicalService(id);
    auto node = ctx.session->get(path);
    if (!node) continue;
    auto data = config::decodePhysicalServiceData(node->data, path);
    if (!data) throw operationFailed(data.errorText());
    return data.value().host;
  }
  throw operationFailed(fmt::format("no running instance {} of service type \"{}\"", options.uuid,
                                    options.type));
}

int runLogs(const GlobalOptions& global, const LogsOptions& options) {
  requireTypeName(options.type);
  if (auto problem = config::checkUuid(options.uuid)) {
    throw usageError(fmt::format("uuid \"{}\": {}", options.uuid, *problem));
  }
  if (options.tail < 0 || options.tail > 10000) throw usageError("--tail: from 0 to 10000 lines");
  auto ctx = connect(global);
  const auto host = hostOf(ctx, options);
  const auto hostPath = ctx.layout.host(host);
  auto node = ctx.session->get(hostPath);
  if (!node) {
    throw operationFailed(fmt::format(
        "{} runs on host {}, which is gone ({} does not exist): its logs are on that machine",
        options.uuid, host, hostPath));
  }
  auto data = config::decodeHostData(node->data, hostPath);
  if (!data) throw operationFailed(data.errorText());
  const auto& endpoint = data.value().http;
  if (endpoint.empty()) {
    throw operationFailed(fmt::format(
        "host {} publishes no HTTP endpoint: start its servicesmgr with --http ADDR:PORT to read "
        "logs from elsewhere",
        host));
  }
  httplib::Client client("http://" + endpoint);
  client.set_connection_timeout(std::chrono::seconds(3));
  // A followed log may stay quiet for long; the daemon ends a follow after 5 minutes.
  client.set_read_timeout(options.follow ? std::chrono::seconds(330) : std::chrono::seconds(10));
  const auto target = fmt::format("/v1/logs/{}?tail={}&stream={}{}", options.uuid, options.tail,
                                  options.stderrStream ? "stderr" : "stdout",
                                  options.follow ? "&follow=1" : "");
  int status = 0;
  std::string errorBody;
  auto result = client.Get(
      target,
      [&](const httplib::Response& response) {
        status = response.status;
        return true;
      },
      [&](const char* data, std::size_t length) {
        if (status == 200) {
          std::cout.write(data, static_cast<std::streamsize>(length));
          std::cout.flush();
        } else {
          errorBody.append(data, length);
        }
        return true;
      });
  if (!result) {
    throw operationFailed(fmt::format("cannot read {}'s logs from host {} at {}: {}", options.uuid,
                                      host, endpoint, httplib::to_string(result.error())));
  }
  if (status != 200) {
    while (!errorBody.empty() && errorBody.back() == '\n') errorBody.pop_back();
    throw operationFailed(fmt::format("host {} at {} answered {}: {}", host, endpoint, status,
                                      errorBody));
  }
  return 0;
}

}  // namespace

Command addLogsCommand(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<LogsOptions>();
  auto* sub = app.add_subcommand(
      "logs", "an instance's output, fetched from its host's servicesmgr --http endpoint");
  sub->add_option("type", options->type, "service type")->required();
  sub->add_option("uuid", options->uuid, "instance uuid (servicesctl get physical TYPE)")
      ->required();
  sub->add_option("--tail", options->tail, "last lines (at most 10000)")->capture_default_str();
  sub->add_flag("-f,--follow", options->follow, "keep printing what it writes (up to 5 minutes)");
  sub->add_flag("--stderr", options->stderrStream, "its standard error instead of its output");
  return {sub, [&global, options] { return runLogs(global, *options); }};
}

}  // namespace sm::ctl

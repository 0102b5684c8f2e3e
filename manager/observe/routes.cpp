#include "manager/observe/routes.hpp"

#include <fmt/format.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "config/layout.hpp"
#include "config/names.hpp"
#include "manager/observe/log_tail.hpp"
#include "manager/observe/metrics_text.hpp"

namespace sm::observe {

namespace {

HttpReply text(int status, std::string body) {
  return HttpReply{status, "text/plain; charset=utf-8", std::move(body) + "\n"};
}

HttpReply notReady() {
  return text(503, "starting: the reconcile loop has not published its state yet");
}

// "logicalService0000000003" or "3" -> "logicalService0000000003".
std::optional<std::string> logicalName(std::string_view text) {
  if (config::Layout::parseLogicalServiceName(text)) return std::string(text);
  std::int64_t sequence = -1;
  if (text.empty() || text.size() > 10) return std::nullopt;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), sequence);
  if (ec != std::errc() || end != text.data() + text.size() || sequence < 0) return std::nullopt;
  return config::Layout::logicalServiceName(sequence);
}

// Splits "a/b" into its two segments; nullopt for any other shape.
std::optional<std::pair<std::string_view, std::string_view>> twoSegments(std::string_view rest) {
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == rest.size()) return {};
  const auto second = rest.substr(slash + 1);
  if (second.find('/') != std::string_view::npos) return {};
  return std::pair{rest.substr(0, slash), second};
}

// /v1/master/<type>/<logical> and /v1/secondary/<type>/<logical>.
HttpReply roleCheck(const ObservedState* state, std::string_view rest, bool master,
                    const RouteClock& clock) {
  const auto segments = twoSegments(rest);
  if (!segments) {
    return text(400, fmt::format("expected /v1/{}/<type>/<logical>",
                                 master ? "master" : "secondary"));
  }
  const std::string type(segments->first);
  if (auto error = config::checkServiceTypeName(type)) return text(400, "type: " + *error);
  const auto logical = logicalName(segments->second);
  if (!logical) {
    return text(400, "logical: expected logicalService<10 digits> or its sequence number");
  }
  if (!state) return notReady();
  for (const auto& i : state->instances) {
    if (i.type != type || i.logical != *logical) continue;
    if (master && isLiveMaster(i, clock.monoNowNs)) {
      return text(200, fmt::format("master {} (epoch {})", i.uuid, i.epoch));
    }
    if (!master && i.role == "secondary" && i.phase == "running") {
      return text(200, fmt::format("secondary {}", i.uuid));
    }
  }
  return text(503, fmt::format("this host runs no {} of {}/{}",
                               master ? "master with a live lease" : "secondary", type, *logical));
}

HttpReply instancesJson(const ObservedState& state, const RouteClock& clock) {
  auto list = nlohmann::json::array();
  for (const auto& i : state.instances) {
    nlohmann::json item = {{"uuid", i.uuid},         {"type", i.type},
                           {"logical", i.logical},   {"phase", i.phase},
                           {"role", i.role},         {"epoch", i.epoch},
                           {"pid", i.pid},           {"ready", i.ready},
                           {"registered", i.registered}, {"ports", i.ports}};
    if (i.role == "master") {
      item["leaseRemainingMs"] =
          i.leaseUntilMonoNs > clock.monoNowNs ? (i.leaseUntilMonoNs - clock.monoNowNs) / 1000000
                                               : 0;
    }
    list.push_back(std::move(item));
  }
  nlohmann::json body = {{"host", state.hostId}, {"instances", std::move(list)}};
  return HttpReply{200, "application/json", body.dump(2) + "\n"};
}

// The one value of `name`, or nullopt; a repeated parameter is an error.
std::optional<std::string> single(const QueryParams& query, const std::string& name,
                                  bool& repeated) {
  const auto [first, last] = query.equal_range(name);
  if (first == last) return std::nullopt;
  if (std::next(first) != last) repeated = true;
  return first->second;
}

}  // namespace

HttpReply route(const ObservedState* state, std::string_view path, const QueryParams& query,
                const RouteClock& clock, std::chrono::seconds staleAfter) {
  if (path == "/metrics") {
    if (!state) return notReady();
    return HttpReply{200, "text/plain; version=0.0.4; charset=utf-8",
                     renderMetrics(*state, clock.monoNowNs)};
  }
  if (path == "/healthz") {
    if (!state) return notReady();
    const auto age = clock.steadyNow - state->publishedAt;
    if (age > staleAfter) {
      return text(503, fmt::format("the reconcile loop has not turned for {} s",
                                   std::chrono::duration_cast<std::chrono::seconds>(age).count()));
    }
    return text(200, "ok");
  }
  if (path == "/readyz") {
    if (!state) return notReady();
    if (!state->zkConnected) {
      return text(503, "not connected to ZooKeeper (session " + state->zkSessionState + ")");
    }
    return text(200, "ok");
  }
  if (path == "/v1/instances") {
    if (!state) return notReady();
    return instancesJson(*state, clock);
  }
  constexpr std::string_view kMaster = "/v1/master/";
  constexpr std::string_view kSecondary = "/v1/secondary/";
  if (path.starts_with(kMaster)) return roleCheck(state, path.substr(kMaster.size()), true, clock);
  if (path.starts_with(kSecondary)) {
    return roleCheck(state, path.substr(kSecondary.size()), false, clock);
  }
  (void)query;
  return text(404, "no such endpoint: /metrics /healthz /readyz /v1/instances "
                   "/v1/master/<type>/<logical> /v1/secondary/<type>/<logical> /v1/logs/<uuid>");
}

LogRoute routeLog(const ObservedState* state, std::string_view uuid, const QueryParams& query) {
  LogRoute result;
  if (auto error = config::checkUuid(uuid)) {
    result.error = text(400, "uuid: " + *error);
    return result;
  }
  bool repeated = false;
  LogRequest request;
  if (auto tail = single(query, "tail", repeated)) {
    int value = -1;
    const auto [end, ec] = std::from_chars(tail->data(), tail->data() + tail->size(), value);
    if (ec != std::errc() || end != tail->data() + tail->size() || value < 0 ||
        value > kMaxTailLines) {
      result.error = text(400, fmt::format("tail: expected a number of lines from 0 to {}",
                                           kMaxTailLines));
      return result;
    }
    request.tail = value;
  }
  if (auto follow = single(query, "follow", repeated)) {
    if (*follow != "0" && *follow != "1") {
      result.error = text(400, "follow: expected 0 or 1");
      return result;
    }
    request.follow = *follow == "1";
  }
  std::string stream = "stdout";
  if (auto value = single(query, "stream", repeated)) stream = *value;
  if (stream != "stdout" && stream != "stderr") {
    result.error = text(400, "stream: expected stdout or stderr");
    return result;
  }
  for (const auto& [name, value] : query) {
    if (name != "tail" && name != "follow" && name != "stream") {
      result.error = text(400, "unknown parameter " + name + " (tail, follow, stream)");
      return result;
    }
  }
  if (repeated) {
    result.error = text(400, "each parameter may be given once");
    return result;
  }
  if (!state) {
    result.error = notReady();
    return result;
  }
  const auto* instance = state->instance(std::string(uuid));
  if (!instance) {
    result.error = text(404, "no instance " + std::string(uuid) + " on this host");
    return result;
  }
  request.path = stream == "stdout" ? instance->stdoutLog : instance->stderrLog;
  result.request = std::move(request);
  return result;
}

}  // namespace sm::observe

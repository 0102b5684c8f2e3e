#pragma once
// What each GET answers, as pure functions of the published state and the request, so that they
// are unit-tested without a socket. http_endpoint.cpp only carries them over HTTP.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "manager/observe/observed_state.hpp"

namespace sm::observe {

struct HttpReply {
  int status = 200;
  std::string contentType = "text/plain; charset=utf-8";
  std::string body;
};

using QueryParams = std::multimap<std::string, std::string>;

struct RouteClock {
  std::chrono::steady_clock::time_point steadyNow;
  std::uint64_t monoNowNs = 0;  // CLOCK_MONOTONIC, the clock of master leases
};

// /healthz fails when the loop has not published for this long (it turns at least every few
// seconds while the endpoint is on).
inline constexpr std::chrono::seconds kDefaultStaleAfter{30};

// A request for an instance's log, once checked.
struct LogRequest {
  std::string path;  // from the published state, never from the request
  int tail = 100;
  bool follow = false;
};

// Every route but a log request's body. `state` is nullptr before the loop's first publish.
HttpReply route(const ObservedState* state, std::string_view path, const QueryParams& query,
                const RouteClock& clock,
                std::chrono::seconds staleAfter = kDefaultStaleAfter);

// /v1/logs/<uuid>?tail=N&follow=0|1&stream=stdout|stderr: the file to read, or the 4xx to answer.
struct LogRoute {
  std::optional<LogRequest> request;
  HttpReply error;
};
LogRoute routeLog(const ObservedState* state, std::string_view uuid, const QueryParams& query);

inline constexpr std::string_view kLogsPrefix = "/v1/logs/";

}  // namespace sm::observe

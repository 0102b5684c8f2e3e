#pragma once
// A minimal HTTP/1.0 GET over a raw socket on 127.0.0.1, with a deadline: what the tests use to
// talk to the daemons' endpoints (and what a monitoring system would send), with no client library
// of ours in between.
#include <chrono>
#include <string>

namespace sm::test {

struct HttpResult {
  int status = 0;     // 0: no answer (see error)
  std::string body;
  std::string error;
};

// GET `target` (path and query, sent as given) from 127.0.0.1:`port`.
HttpResult httpGet(int port, const std::string& target,
                   std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));
// Sends raw bytes and returns the whole answer ("" on failure): malformed requests.
std::string sendRaw(int port, const std::string& bytes,
                    std::chrono::milliseconds timeout = std::chrono::milliseconds(3000));
// Sends one line and returns the first line answered ("" on failure): the demo service's ROLE.
std::string askLine(int port, const std::string& line,
                    std::chrono::milliseconds timeout = std::chrono::milliseconds(2000));
// A connection to 127.0.0.1:`port` that sends nothing; -1 on failure. The caller closes it.
int connectIdle(int port);

}  // namespace sm::test

#pragma once

#include <string>

#include "services/demo/role_tracker.hpp"

namespace sm::services::demo {

// A tiny TCP server (on 127.0.0.1 unless told another address) answering each connection with the
// role JSON, then closing:
//   "GET ..."              -> an HTTP/1.0 200 response with the JSON as body
//   "ROLE"                 -> the JSON line
//   "RELOAD <via> [role]"  -> re-reads the role file first (how the exec hook reaches the service)
//   "MASTER"               -> asks the master named by the role file's masterPeer endpoint ("http")
//                             for its ROLE and answers {"endpoint":"address:port","master":{...}}:
//                             what a replica does to find the master it replicates from
class RoleServer {
 public:
  // `address` is an IPv4 address to bind ("127.0.0.1", or "0.0.0.0" inside a host's own network
  // namespace). Returns -1 with `error` set when the port cannot be bound.
  static int listenOn(const std::string& address, int port, std::string& error);
  // Serves one accepted connection, blocking at most ~1 s on a silent client.
  static void serve(int client, RoleTracker& tracker);
};

// Sends one request line to `endpoint` ("host:port") and returns the first answer line; empty
// with `error` set when it cannot be reached within about a second.
std::string askEndpoint(const std::string& endpoint, const std::string& request,
                        std::string& error);

// The exec-hook side: asks the service listening on `port` to re-read its role file.
int notifyRunningService(int port, const std::string& role);

}  // namespace sm::services::demo

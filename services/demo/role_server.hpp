#pragma once

#include <string>

#include "services/demo/role_tracker.hpp"

namespace sm::services::demo {

// A tiny TCP server on 127.0.0.1 answering each connection with the role JSON, then closing:
//   "GET ..."              -> an HTTP/1.0 200 response with the JSON as body
//   "ROLE"                 -> the JSON line
//   "RELOAD <via> [role]"  -> re-reads the role file first (how the exec hook reaches the service)
class RoleServer {
 public:
  // Returns -1 with `error` set when the port cannot be bound.
  static int listenOn(int port, std::string& error);
  // Serves one accepted connection, blocking at most ~1 s on a silent client.
  static void serve(int client, RoleTracker& tracker);
};

// The exec-hook side: asks the service listening on `port` to re-read its role file.
int notifyRunningService(int port, const std::string& role);

}  // namespace sm::services::demo

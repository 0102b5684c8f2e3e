#pragma once
// The --http ADDR:PORT option: where the daemon's HTTP endpoint listens.
#include <optional>
#include <string>

namespace sm::observe {

struct HttpAddress {
  std::string host;  // an IPv4 address or "localhost"; 0.0.0.0 only when an operator asks for it
  int port = 0;      // 0: any free port (the log says which)
};

// "127.0.0.1:9464", "localhost:9464", "0.0.0.0:9464". Sets `error` and returns nullopt otherwise.
std::optional<HttpAddress> parseHttpAddress(const std::string& text, std::string& error);

}  // namespace sm::observe

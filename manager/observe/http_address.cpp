#include "manager/observe/http_address.hpp"

#include <arpa/inet.h>

#include <charconv>

namespace sm::observe {

std::optional<HttpAddress> parseHttpAddress(const std::string& text, std::string& error) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    error = "expected ADDR:PORT (e.g. 127.0.0.1:9464), got \"" + text + "\"";
    return std::nullopt;
  }
  HttpAddress address;
  address.host = text.substr(0, colon);
  const auto portText = text.substr(colon + 1);
  const auto [end, ec] =
      std::from_chars(portText.data(), portText.data() + portText.size(), address.port);
  if (ec != std::errc() || end != portText.data() + portText.size() || address.port < 0 ||
      address.port > 65535) {
    error = "port must be a number from 0 to 65535, got \"" + portText + "\"";
    return std::nullopt;
  }
  in_addr ipv4{};
  if (address.host != "localhost" && inet_pton(AF_INET, address.host.c_str(), &ipv4) != 1) {
    error = "address must be an IPv4 address or localhost, got \"" + address.host + "\"";
    return std::nullopt;
  }
  return address;
}

}  // namespace sm::observe

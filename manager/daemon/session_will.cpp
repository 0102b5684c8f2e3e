#include "manager/daemon/session_will.hpp"

#include <fmt/format.h>

#include <chrono>
#include <cstdint>

#include "manager/zk/error.hpp"
#include "manager/zk/session.hpp"

namespace sm::daemon {

namespace {
// The will runs once, unattended: it gives up rather than outlive its purpose (the session then
// expires by itself).
constexpr std::chrono::milliseconds kAttachTimeout{3000};

std::string hex(const std::string& bytes) {
  std::string out;
  for (unsigned char c : bytes) out += fmt::format("{:02x}", c);
  return out;
}

bool unhex(const std::string& text, std::string& out) {
  if (text.size() % 2 != 0) return false;
  out.clear();
  for (std::size_t i = 0; i < text.size(); i += 2) {
    unsigned value = 0;
    for (std::size_t j = i; j < i + 2; ++j) {
      const char c = text[j];
      const int digit = c >= '0' && c <= '9'   ? c - '0'
                        : c >= 'a' && c <= 'f' ? c - 'a' + 10
                                               : -1;
      if (digit < 0) return false;
      value = value * 16 + static_cast<unsigned>(digit);
    }
    out.push_back(static_cast<char>(value));
  }
  return true;
}
}  // namespace

std::string encodeSessionWill(const std::string& hosts, const zk::SessionCredentials& session) {
  return fmt::format("{}\n{}\n{}\n", hosts, session.id, hex(session.password));
}

int closeSessionFromWill(std::istream& in) {
  std::string hosts, id, password;
  if (!std::getline(in, hosts) || !std::getline(in, id) || !std::getline(in, password)) return 2;
  zk::SessionOptions options;
  options.hosts = hosts;
  options.sessionTimeout = kAttachTimeout;
  options.connectTimeout = kAttachTimeout;
  zk::SessionCredentials credentials;
  try {
    credentials.id = static_cast<std::int64_t>(std::stoull(id));
  } catch (const std::exception&) {
    return 2;
  }
  if (!unhex(password, credentials.password)) return 2;
  options.attach = credentials;
  try {
    auto session = zk::Session::connect(options);
    session->close();
  } catch (const zk::ZkError& e) {
    return e.isSessionLost() ? 0 : 1;
  }
  return 0;
}

}  // namespace sm::daemon

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "services/role.hpp"
#include "services/sm_role.h"

namespace sm::services {

std::optional<RoleInfo> readRoleFile(const std::string& path, std::string* error) {
  std::string file = path;
  if (file.empty()) {
    const char* fromEnv = std::getenv("SM_ROLE_FILE");
    if (fromEnv == nullptr || *fromEnv == '\0') {
      if (error) *error = "SM_ROLE_FILE is not set";
      errno = ENOENT;
      return std::nullopt;
    }
    file = fromEnv;
  }
  // The manager replaces the file by rename(), so one open() sees one complete version.
  int fd = open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (error) *error = file + ": " + std::strerror(errno);
    return std::nullopt;
  }
  std::string text;
  char buffer[4096];
  for (;;) {
    ssize_t n = read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0 || text.size() > 65536) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  close(fd);
  return parseRole(text, error);
}

std::uint64_t monotonicNowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ULL +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

Role effectiveRole(const RoleInfo& info, std::uint64_t nowMonoNs) {
  if (info.role == Role::Master && nowMonoNs >= info.leaseUntilMonoNs) return Role::Unknown;
  return info.role;
}

std::string masterEndpoint(const RoleInfo& info, const std::string& portName) {
  auto it = info.masterEndpoints.find(portName);
  return it == info.masterEndpoints.end() ? std::string() : it->second;
}

bool isMasterNow(const RoleInfo& info, std::uint64_t nowMonoNs) {
  return effectiveRole(info, nowMonoNs) == Role::Master;
}

const char* roleName(Role role) {
  switch (role) {
    case Role::Master:
      return "master";
    case Role::Secondary:
      return "secondary";
    case Role::Unknown:
      break;
  }
  return "unknown";
}

}  // namespace sm::services

namespace {

using sm::services::Role;
using sm::services::RoleInfo;

sm_role_t toC(Role role) {
  switch (role) {
    case Role::Master:
      return SM_ROLE_MASTER;
    case Role::Secondary:
      return SM_ROLE_SECONDARY;
    case Role::Unknown:
      break;
  }
  return SM_ROLE_UNKNOWN;
}

Role fromC(sm_role_t role) {
  return role == SM_ROLE_MASTER      ? Role::Master
         : role == SM_ROLE_SECONDARY ? Role::Secondary
                                     : Role::Unknown;
}

RoleInfo fromC(const sm_role_info& info) {
  RoleInfo result;
  result.role = fromC(info.role);
  result.epoch = info.epoch;
  result.leaseUntilMonoNs = info.lease_until_mono_ns;
  return result;
}

int fill(const std::optional<RoleInfo>& parsed, sm_role_info* out) {
  if (!parsed) return SM_ROLE_ERR_PARSE;
  out->role = toC(parsed->role);
  out->epoch = parsed->epoch;
  out->lease_until_mono_ns = parsed->leaseUntilMonoNs;
  // A peer description too long for the buffer is dropped rather than cut into invalid JSON.
  const std::string& peer =
      parsed->masterPeerJson.size() < SM_ROLE_MASTER_PEER_MAX ? parsed->masterPeerJson : "{}";
  std::memcpy(out->master_peer_json, peer.c_str(), peer.size() + 1);
  const std::string& address =
      parsed->masterAddress.size() < SM_ROLE_ADDRESS_MAX ? parsed->masterAddress : std::string();
  std::memcpy(out->master_address, address.c_str(), address.size() + 1);
  return SM_ROLE_OK;
}

}  // namespace

extern "C" {

int sm_role_parse(const char* text, size_t length, sm_role_info* out) {
  if (text == nullptr || out == nullptr) return SM_ROLE_ERR_PARSE;
  return fill(sm::services::parseRole(std::string_view(text, length)), out);
}

int sm_role_read(const char* path, sm_role_info* out) {
  if (out == nullptr) return SM_ROLE_ERR_PARSE;
  std::string error;
  errno = 0;
  auto parsed =
      sm::services::readRoleFile(path == nullptr ? std::string() : std::string(path), &error);
  if (!parsed && errno != 0) return SM_ROLE_ERR_IO;
  return fill(parsed, out);
}

int sm_role_master_endpoint(const sm_role_info* info, const char* port_name, char* out,
                            size_t capacity) {
  if (info == nullptr || port_name == nullptr || out == nullptr || capacity == 0) return -1;
  out[0] = '\0';
  // master_peer_json is what the file said: parse it again rather than keep a map in a C struct.
  std::string line =
      std::string("{\"role\":\"unknown\",\"masterPeer\":") + info->master_peer_json + "}";
  auto role = sm::services::parseRole(line);
  if (!role) return -1;
  const auto endpoint = sm::services::masterEndpoint(*role, port_name);
  if (endpoint.empty() || endpoint.size() >= capacity) return -1;
  std::memcpy(out, endpoint.c_str(), endpoint.size() + 1);
  return 0;
}

uint64_t sm_monotonic_now_ns(void) {
  return sm::services::monotonicNowNs();
}

sm_role_t sm_role_effective(const sm_role_info* info, uint64_t now_mono_ns) {
  if (info == nullptr) return SM_ROLE_UNKNOWN;
  return toC(sm::services::effectiveRole(fromC(*info), now_mono_ns));
}

int sm_role_is_master_now(const sm_role_info* info) {
  return sm_role_effective(info, sm_monotonic_now_ns()) == SM_ROLE_MASTER ? 1 : 0;
}

const char* sm_role_name(sm_role_t role) {
  return sm::services::roleName(fromC(role));
}

}  // extern "C"

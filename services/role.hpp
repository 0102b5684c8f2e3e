#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

// The C++ face of sm_role.h, for services written in C++. No dependencies beyond the standard
// library.
namespace sm::services {

enum class Role { Unknown, Secondary, Master };

struct RoleInfo {
  Role role = Role::Unknown;  // as written in the file
  std::int64_t epoch = 0;
  std::uint64_t leaseUntilMonoNs = 0;
  std::string masterPeerJson = "{}";
  // From masterPeer, for a replica that connects to its master: the address of the master's host
  // (its hosts/<id> "address", the host id when it published none) and every named port there,
  // port name -> "address:port". Empty when the file names no master.
  std::string masterAddress;
  std::map<std::string, std::string> masterEndpoints;
};

std::optional<RoleInfo> parseRole(std::string_view text, std::string* error = nullptr);
// `path` empty means $SM_ROLE_FILE.
std::optional<RoleInfo> readRoleFile(const std::string& path, std::string* error = nullptr);

std::uint64_t monotonicNowNs();
// The role to act on: a master whose lease has passed (CLOCK_MONOTONIC) is Unknown, not Master.
Role effectiveRole(const RoleInfo& info, std::uint64_t nowMonoNs = monotonicNowNs());
// The master's endpoint for a port name ("http" -> "10.0.0.5:41234"), empty when it has none.
std::string masterEndpoint(const RoleInfo& info, const std::string& portName);
bool isMasterNow(const RoleInfo& info, std::uint64_t nowMonoNs = monotonicNowNs());
const char* roleName(Role role);

}  // namespace sm::services

#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "services/role.hpp"

namespace sm::supervisor {

// The role vocabulary is the services/ library's: the reader and the writer of the role file share
// one definition.
using services::monotonicNowNs;
using services::Role;
using services::roleName;

// What the role file says. A master's mastership is a lease: it holds only while CLOCK_MONOTONIC
// is before leaseUntilMonoNs (the services/ library checks exactly that).
struct RoleState {
  Role role = Role::Unknown;
  std::int64_t epoch = 0;
  std::uint64_t leaseUntilMonoNs = 0;
  nlohmann::json masterPeer = nlohmann::json::object();
  // "address:port" of every running instance of the logical service, itself included, sorted:
  // the H2O-style flatfile (also written one per line to the peers file).
  std::vector<std::string> peers;

  // Whether a process must be told: a new lease deadline alone is a renewal, not a change.
  bool sameRoleAs(const RoleState& other) const {
    return role == other.role && epoch == other.epoch && masterPeer == other.masterPeer &&
           peers == other.peers;
  }
};

// The one JSON line, e.g. {"role":"master","epoch":3,"leaseUntilMonoNs":123,"masterPeer":{}}.
std::string formatRoleLine(const RoleState& state);

// Writes <path>.tmp then renames it over <path>: readers see the old or the new line, never a mix.
// Returns an empty string on success, else the error.
std::string writeRoleFile(const std::string& path, const RoleState& state);
// The peers, one per line, written the same way.
std::string writePeersFile(const std::string& path, const std::vector<std::string>& peers);

}  // namespace sm::supervisor

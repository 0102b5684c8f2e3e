#include "manager/supervisor/role_state.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fmt/format.h>

namespace sm::supervisor {

std::string formatRoleLine(const RoleState& state) {
  nlohmann::ordered_json line;
  line["role"] = roleName(state.role);
  line["epoch"] = state.epoch;
  line["leaseUntilMonoNs"] = state.leaseUntilMonoNs;
  line["masterPeer"] = state.masterPeer.is_object() ? state.masterPeer : nlohmann::json::object();
  line["peers"] = state.peers;
  return line.dump() + "\n";
}

namespace {
// Puts `temp` in the place of `path` in one step, so that one open() sees one complete version.
// An exchange rather than a rename over the old file: ext4 answers that rename by writing the new
// file's blocks out at once (its guard for editors that skip fsync), about 150 µs on a master's
// way to its role, which an exchange does not cost. The old version, now under `temp`, goes.
// The first write (nothing to exchange with) and filesystems that cannot exchange rename.
std::string putInPlace(const std::string& temp, const std::string& path) {
  if (renameat2(AT_FDCWD, temp.c_str(), AT_FDCWD, path.c_str(), RENAME_EXCHANGE) == 0) {
    unlink(temp.c_str());
    return {};
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    std::string error = fmt::format("rename {} -> {}: {}", temp, path, std::strerror(errno));
    unlink(temp.c_str());
    return error;
  }
  return {};
}

std::string replaceFile(const std::string& path, const std::string& line) {
  // No fsync: readers are live processes on this host, and after a host crash no role is valid.
  std::string temp = path + ".tmp";
  int fd = open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fmt::format("open {}: {}", temp, std::strerror(errno));
  std::size_t written = 0;
  while (written < line.size()) {
    ssize_t n = write(fd, line.data() + written, line.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string error = fmt::format("write {}: {}", temp, std::strerror(errno));
      close(fd);
      unlink(temp.c_str());
      return error;
    }
    written += static_cast<std::size_t>(n);
  }
  close(fd);
  return putInPlace(temp, path);
}
}  // namespace

std::string writeRoleFile(const std::string& path, const RoleState& state) {
  return replaceFile(path, formatRoleLine(state));
}

std::string writePeersFile(const std::string& path, const std::vector<std::string>& peers) {
  std::string text;
  for (const auto& peer : peers) text += peer + "\n";
  return replaceFile(path, text);
}

}  // namespace sm::supervisor

#include "manager/daemon/lock_peer.hpp"

#include <sys/socket.h>

#include <charconv>
#include <fstream>
#include <sstream>

namespace sm::daemon {

std::optional<PeerCredentials> peerCredentials(int fd) {
  ucred credentials{};
  socklen_t length = sizeof(credentials);
  if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0 ||
      credentials.pid <= 0) {
    return std::nullopt;
  }
  return PeerCredentials{credentials.pid, credentials.uid};
}

std::optional<ProcStat> parseProcStat(const std::string& text) {
  // "<pid> (<comm>) <state> <ppid> <pgrp> ...": comm ends at the last ')'.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(text.substr(close + 1));
  std::string state;
  long ppid = 0;
  long pgid = 0;
  if (!(rest >> state >> ppid >> pgid)) return std::nullopt;
  return ProcStat{static_cast<pid_t>(ppid), static_cast<pid_t>(pgid)};
}

std::optional<ProcStat> readProcStat(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  if (!in) return std::nullopt;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parseProcStat(text);
}

bool descendsFrom(const ProcessLineage& lineage, pid_t ancestor) {
  for (pid_t pid : lineage.ancestry) {
    if (pid == ancestor) return true;
  }
  return false;
}

std::optional<ProcessLineage> processLineage(pid_t pid) {
  auto own = readProcStat(pid);
  if (!own) return std::nullopt;
  ProcessLineage lineage;
  lineage.pgid = own->pgid;
  lineage.ancestry.push_back(pid);
  // Bounded: a process tree deeper than this is not one we started.
  pid_t next = own->ppid;
  for (int depth = 0; depth < 64 && next > 1; ++depth) {
    lineage.ancestry.push_back(next);
    auto stat = readProcStat(next);
    if (!stat) break;
    next = stat->ppid;
  }
  return lineage;
}

}  // namespace sm::daemon

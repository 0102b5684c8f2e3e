#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace sm::daemon {

// Who is at the other end of a Unix socket connection, as the kernel says (SO_PEERCRED), and where
// that process sits in the process tree (/proc): what the lock server checks before it serves a
// connection (docs/locks.md).
struct PeerCredentials {
  pid_t pid = 0;
  uid_t uid = 0;
};
std::optional<PeerCredentials> peerCredentials(int fd);

struct ProcessLineage {
  pid_t pgid = 0;
  std::vector<pid_t> ancestry;  // the process itself, its parent, ... up to (not including) pid 1
};
// nullopt when the process is gone (or /proc cannot be read).
std::optional<ProcessLineage> processLineage(pid_t pid);

// Which managed process (by its pid, each the leader of its own process group) a peer belongs to:
// itself or its nearest ancestor among `managed`, else the managed process whose group it is in
// (a process that left its parent, say by a daemonizing double fork). nullopt: none.
template <typename Managed>
std::optional<pid_t> managedOwner(const ProcessLineage& lineage, const Managed& managed) {
  for (pid_t pid : lineage.ancestry) {
    if (managed.contains(pid)) return pid;
  }
  if (managed.contains(lineage.pgid)) return lineage.pgid;
  return std::nullopt;
}
// Whether the process descends from `ancestor` (a child of the daemon whose start it may not have
// heard of yet).
bool descendsFrom(const ProcessLineage& lineage, pid_t ancestor);

// The parent and process group of `pid` from /proc/<pid>/stat; nullopt when it is gone.
struct ProcStat {
  pid_t ppid = 0;
  pid_t pgid = 0;
};
std::optional<ProcStat> readProcStat(pid_t pid);
// Parses the text of a /proc/<pid>/stat (the command name may hold spaces and parentheses).
std::optional<ProcStat> parseProcStat(const std::string& text);

}  // namespace sm::daemon

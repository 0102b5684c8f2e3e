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

// The parent and process group of `pid` from /proc/<pid>/stat; nullopt when it is gone.
struct ProcStat {
  pid_t ppid = 0;
  pid_t pgid = 0;
};
std::optional<ProcStat> readProcStat(pid_t pid);
// Parses the text of a /proc/<pid>/stat (the command name may hold spaces and parentheses).
std::optional<ProcStat> parseProcStat(const std::string& text);

}  // namespace sm::daemon

#pragma once
// A process's resident memory and CPU time, from /proc/<pid>/stat.
#include <sys/types.h>

#include <cstdint>
#include <optional>

namespace sm::observe {

struct ProcStats {
  std::uint64_t residentBytes = 0;
  double cpuSeconds = 0;  // user + system
};

// nullopt when the process is gone (or /proc cannot be read).
std::optional<ProcStats> readProcStats(pid_t pid);

}  // namespace sm::observe

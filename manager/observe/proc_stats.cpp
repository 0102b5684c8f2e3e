#include "manager/observe/proc_stats.hpp"

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace sm::observe {

std::optional<ProcStats> readProcStats(pid_t pid) {
  if (pid <= 0) return std::nullopt;
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(file, line)) return std::nullopt;
  // The command name (field 2) is in parentheses and may hold spaces: fields count from the last ')'.
  const auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream rest(line.substr(close + 2));
  // Fields 3.. : state ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime
  // stime cutime cstime priority nice num_threads itrealvalue starttime vsize rss
  std::string field;
  std::uint64_t utime = 0, stime = 0, rssPages = 0;
  for (int index = 3; index <= 24 && rest >> field; ++index) {
    try {
      if (index == 14) utime = std::stoull(field);
      if (index == 15) stime = std::stoull(field);
      if (index == 24) rssPages = std::stoull(field);
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  const long ticks = sysconf(_SC_CLK_TCK);
  const long page = sysconf(_SC_PAGESIZE);
  ProcStats stats;
  stats.residentBytes = rssPages * static_cast<std::uint64_t>(page > 0 ? page : 4096);
  stats.cpuSeconds = static_cast<double>(utime + stime) / static_cast<double>(ticks > 0 ? ticks : 100);
  return stats;
}

}  // namespace sm::observe

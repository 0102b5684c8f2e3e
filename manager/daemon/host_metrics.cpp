#include "manager/daemon/host_metrics.hpp"

#include <unistd.h>

#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

namespace sm::daemon {

namespace {

// "MemTotal:  16318128 kB" -> MB, from /proc/meminfo.
std::int64_t meminfoMB(const std::string& key) {
  std::ifstream in("/proc/meminfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key + ":", 0) != 0) continue;
    std::istringstream fields(line.substr(key.size() + 1));
    std::int64_t kb = 0;
    fields >> kb;
    return kb / 1024;
  }
  return 0;
}

double loadAverage() {
  std::ifstream in("/proc/loadavg");
  double load = 0;
  in >> load;
  return load;
}

}  // namespace

HostMetrics measureHost(const DaemonOptions& options) {
  HostMetrics m;
  m.capacity.cpus = std::max<long>(1, sysconf(_SC_NPROCESSORS_ONLN));
  m.capacity.memoryMB = meminfoMB("MemTotal");
  m.capacity.freeMemoryMB = options.freeMemoryMB.value_or(meminfoMB("MemAvailable"));
  m.load = options.loadAverage.value_or(std::round(loadAverage() * 100) / 100);
  return m;
}

bool metricsChangedMeaningfully(const HostMetrics& published, const HostMetrics& now) {
  const auto memoryStep = std::max<std::int64_t>(64, published.capacity.memoryMB / 10);
  return published.capacity.cpus != now.capacity.cpus ||
         published.capacity.memoryMB != now.capacity.memoryMB ||
         std::llabs(published.capacity.freeMemoryMB - now.capacity.freeMemoryMB) >= memoryStep ||
         std::fabs(published.load - now.load) >= std::max(0.5, published.load * 0.25);
}

}  // namespace sm::daemon

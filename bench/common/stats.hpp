#pragma once
// Figures for the benchmarks: percentiles of one run, medians over runs, and the machine they ran
// on.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <sys/utsname.h>

namespace sm::bench {

inline double percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  auto index = static_cast<size_t>(p / 100.0 * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

inline double median(std::vector<double> values) {
  return percentile(std::move(values), 50);
}

inline double microsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start)
      .count();
}

// p50 and p99 of each run, then the median of those over the runs: one slow run does not decide.
struct Figure {
  explicit Figure(std::string name = "", std::string unit = "us")
      : name(std::move(name)), unit(std::move(unit)) {}
  std::string name;
  std::string unit;
  std::vector<double> p50s, p99s;
  void addRun(const std::vector<double>& samples) {
    p50s.push_back(percentile(samples, 50));
    p99s.push_back(percentile(samples, 99));
  }
  double p50() const { return median(p50s); }
  double p99() const { return median(p99s); }
};

inline std::string machineDescription() {
  std::string cpu = "unknown cpu";
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  }
  utsname u{};
  uname(&u);
  return cpu + ", " + std::to_string(std::thread::hardware_concurrency()) + " cores, " + u.sysname +
         " " + u.release;
}

inline std::string utcNow() {
  char text[32];
  auto now = std::time(nullptr);
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
  return text;
}

}  // namespace sm::bench

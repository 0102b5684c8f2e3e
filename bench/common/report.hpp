#pragma once
// What every benchmark prints and writes: its figures, how they were taken, and on what machine.
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "bench/common/stats.hpp"

namespace sm::bench {

struct Report {
  std::string benchmark;  // names the results file's content, e.g. "zk_baseline"
  std::string title;      // printed above the table
  int runs = 0;
  int samplesPerRun = 0;
  nlohmann::json details = nlohmann::json::object();  // facts particular to this benchmark
  std::vector<const Figure*> figures;
};

// Prints the table and writes the figures as JSON to `output`.
// What every benchmark's JSON says of its run: which benchmark, the machine, when, and how busy
// the machine was (it may be shared: a busy one shows in the p99s).
inline void stampRun(nlohmann::json& out, const std::string& benchmark) {
  out["benchmark"] = benchmark;
  out["machine"] = machineDescription();
  out["time"] = utcNow();
  if (std::ifstream loadavg("/proc/loadavg"); loadavg) {
    double oneMinute = 0;
    loadavg >> oneMinute;
    out["loadAverage1m"] = oneMinute;
  }
}

inline void publish(const Report& report, const std::string& output) {
  nlohmann::json out = report.details;
  stampRun(out, report.benchmark);
  out["runs"] = report.runs;
  out["samplesPerRun"] = report.samplesPerRun;
  fmt::print("{} ({} runs x {} samples; medians of per-run percentiles)\n", report.title,
             report.runs, report.samplesPerRun);
  fmt::print("{:<45} {:>10} {:>10}\n", "figure", "p50 us", "p99 us");
  for (const Figure* f : report.figures) {
    fmt::print("{:<45} {:>10.0f} {:>10.0f}\n", f->name, f->p50(), f->p99());
    out["figures"].push_back(
        {{"name", f->name}, {"unit", f->unit}, {"p50", f->p50()}, {"p99", f->p99()}});
  }
  auto parent = std::filesystem::path(output).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent);
  std::ofstream(output) << out.dump(2) << "\n";
  fmt::print("written to {}\n", output);
}

}  // namespace sm::bench

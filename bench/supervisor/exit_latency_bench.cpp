// Exit-to-notification latency: a supervised child is SIGKILLed, the clock stops in the
// supervisor's Exited callback. The path measured is pidfd readable -> epoll wake -> group kill ->
// waitpid -> log drain -> role file reset -> callback.
#include <signal.h>

#include <CLI/CLI.hpp>
#include <condition_variable>
#include <filesystem>
#include <fmt/format.h>
#include <iostream>
#include <mutex>
#include <spdlog/spdlog.h>

#include "bench/common/report.hpp"
#include "manager/supervisor/supervisor.hpp"

namespace {

using Clock = std::chrono::steady_clock;
using sm::bench::Figure;
namespace sv = sm::supervisor;

struct Options {
  int runs = 5;
  int samples = 200;
  int background = 100;
  std::string output = "bench/results/supervisor_exit_latency.json";
};

// Follows one restarting instance: each Started gives a pid to kill, each Exited a latency.
class Probe {
 public:
  void onEvent(const sv::InstanceEvent& event) {
    if (event.instanceId != "victim") return;
    std::lock_guard lock(mutex_);
    if (event.kind == sv::InstanceEvent::Kind::Started) {
      pid_ = event.pid;
    } else if (event.kind == sv::InstanceEvent::Kind::Exited) {
      exitedAt_ = Clock::now();  // first thing: the handler's own work is not measured
      exited_ = true;
    }
    changed_.notify_all();
  }

  // Kills the running victim and returns microseconds until its Exited callback.
  double killAndTime() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return pid_ > 0; });
    pid_t pid = pid_;
    pid_ = 0;
    exited_ = false;
    auto killedAt = Clock::now();
    ::kill(pid, SIGKILL);
    changed_.wait(lock, [&] { return exited_; });
    return std::chrono::duration<double, std::micro>(exitedAt_ - killedAt).count();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  pid_t pid_ = 0;
  bool exited_ = false;
  Clock::time_point exitedAt_;
};

sv::ProcessSpec sleeper(const std::string& id, const std::string& logDir) {
  sv::ProcessSpec spec;
  spec.instanceId = id;
  spec.argv = {"/bin/sleep", "100000"};
  spec.log.dir = logDir;
  spec.restart.policy = sv::RestartPolicy::Always;
  spec.restart.backoffInitialMs = 0;
  spec.restart.backoffMaxMs = 0;
  spec.restart.crashLoopFailures = 1 << 30;
  return spec;
}

void measure(const Options& o, int background, Figure& figure, const std::string& logDir) {
  Probe probe;
  sv::Supervisor supervisor([&](const sv::InstanceEvent& event) { probe.onEvent(event); });
  for (int i = 0; i < background; ++i)
    supervisor.start(sleeper("idle" + std::to_string(i), logDir));
  supervisor.start(sleeper("victim", logDir));
  for (int i = 0; i < 20; ++i) probe.killAndTime();  // warm-up, not counted
  for (int run = 0; run < o.runs; ++run) {
    std::vector<double> samples;
    for (int i = 0; i < o.samples; ++i) samples.push_back(probe.killAndTime());
    figure.addRun(samples);
  }
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  CLI::App app{"Supervisor exit-to-notification latency: child SIGKILLed -> Exited callback"};
  app.add_option("--runs", o.runs, "runs; each figure is the median of the runs' percentiles");
  app.add_option("--samples", o.samples, "kills per run and figure");
  app.add_option("--background", o.background,
                 "idle children supervised beside the victim in the second figure");
  app.add_option("--output", o.output, "where to write the figures (JSON)");
  CLI11_PARSE(app, argc, argv);

  try {
    spdlog::set_level(spdlog::level::warn);  // one log line per event would be measured too
    std::string logDir =
        (std::filesystem::temp_directory_path() / fmt::format("sm-bench-supervisor-{}", getpid()))
            .string();
    Figure alone{"SIGKILL -> Exited callback, 1 child"};
    Figure crowded{fmt::format("SIGKILL -> Exited callback, {} other children", o.background)};
    measure(o, 0, alone, logDir);
    measure(o, o.background, crowded, logDir);
    std::filesystem::remove_all(logDir);

    sm::bench::Report report;
    report.benchmark = "supervisor_exit_latency";
    report.title = "Supervisor exit notification";
    report.runs = o.runs;
    report.samplesPerRun = o.samples;
    report.figures = {&alone, &crowded};
    sm::bench::publish(report, o.output);
  } catch (const std::exception& e) {
    std::cerr << "sm-bench-supervisor-exit-latency: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

#include "manager/observe/metrics_text.hpp"

#include <fmt/format.h>

#include <map>
#include <set>
#include <tuple>

namespace sm::observe {

namespace {

// Shortest round-trip form; Prometheus reads it as a float.
std::string number(double value) {
  return fmt::format("{}", value);
}

class Writer {
 public:
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
  }
  // `labels`: name/value pairs, in order.
  void sample(std::string_view name,
              std::initializer_list<std::pair<std::string_view, std::string>> labels,
              double value) {
    out_ += name;
    if (labels.size() > 0) {
      out_ += '{';
      bool first = true;
      for (const auto& [label, labelValue] : labels) {
        if (!first) out_ += ',';
        first = false;
        out_ += fmt::format("{}=\"{}\"", label, escapeLabelValue(labelValue));
      }
      out_ += '}';
    }
    out_ += ' ';
    out_ += number(value);
    out_ += '\n';
  }
  void histogram(std::string_view name, std::string_view help, const Histogram& h) {
    family(name, "histogram", help);
    const std::string bucket = std::string(name) + "_bucket";
    for (std::size_t i = 0; i < h.upperBounds().size(); ++i) {
      sample(bucket, {{"le", number(h.upperBounds()[i])}}, static_cast<double>(h.counts()[i]));
    }
    sample(bucket, {{"le", "+Inf"}}, static_cast<double>(h.count()));
    sample(std::string(name) + "_sum", {}, h.sum());
    sample(std::string(name) + "_count", {}, static_cast<double>(h.count()));
  }
  void perType(std::string_view name, std::string_view help,
               const std::map<std::string, std::uint64_t>& counts) {
    family(name, "counter", help);
    for (const auto& [type, count] : counts) {
      sample(name, {{"type", type}}, static_cast<double>(count));
    }
  }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

// The session states zk::toString names, each reported (1 for the current one) so that an alert
// can test `{state="connected"} == 0` without knowing the others.
constexpr std::string_view kSessionStates[] = {"connecting", "connected",   "read-only",
                                               "expired",    "auth-failed", "closed"};

}  // namespace

std::string escapeLabelValue(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string renderMetrics(const ObservedState& state, std::uint64_t monoNowNs,
                          const std::function<std::optional<ProcStats>(pid_t)>& procStats) {
  Writer w;

  // Every logical service known from the tree, and those of local instances (the tree may lag).
  std::map<std::pair<std::string, std::string>, int> masters;
  for (const auto& logical : state.logicalServices) masters[{logical.type, logical.logical}] = 0;
  for (const auto& i : state.instances) {
    auto& count = masters[{i.type, i.logical}];
    if (isLiveMaster(i, monoNowNs)) ++count;
  }
  w.family("servicesmgr_local_masters", "gauge",
           "Masters of the logical service this daemon runs with a live lease (summed over all "
           "daemons it must be 1).");
  for (const auto& [key, count] : masters) {
    w.sample("servicesmgr_local_masters", {{"type", key.first}, {"logical", key.second}}, count);
  }

  std::map<std::tuple<std::string, std::string, std::string>, int> instances;
  for (const auto& i : state.instances) ++instances[{i.type, i.phase, i.role}];
  w.family("servicesmgr_instances", "gauge",
           "This daemon's instances by type, lifecycle phase and the role they were told.");
  for (const auto& [key, count] : instances) {
    const auto& [type, phase, role] = key;
    w.sample("servicesmgr_instances", {{"type", type}, {"state", phase}, {"role", role}}, count);
  }

  w.family("servicesmgr_master_lease_remaining_seconds", "gauge",
           "Time left on the lease of each master this daemon runs (0 once lapsed).");
  for (const auto& i : state.instances) {
    if (i.role != "master") continue;
    const double left =
        i.leaseUntilMonoNs > monoNowNs ? static_cast<double>(i.leaseUntilMonoNs - monoNowNs) / 1e9 : 0;
    w.sample("servicesmgr_master_lease_remaining_seconds",
             {{"type", i.type}, {"logical", i.logical}}, left);
  }

  w.histogram("servicesmgr_failover_seconds",
              "From this daemon's ZooKeeper client learning that an instance's predecessor in the "
              "election is gone to that instance's role file saying master.",
              state.failoverSeconds);
  w.perType("servicesmgr_restarts_total", "Restarts in place scheduled by the supervisor, by type.",
            state.restartsByType);
  w.perType("servicesmgr_health_check_failures_total",
            "Instances found unhealthy (failureThreshold probes failed in a row), by type.",
            state.healthCheckFailuresByType);
  w.perType("servicesmgr_crash_loops_total",
            "Instances given up as crash loops (the host cools down for the type), by type.",
            state.crashLoopsByType);

  w.family("servicesmgr_zk_session_state", "gauge",
           "1 for the state the daemon's ZooKeeper session is in, 0 for the others.");
  for (auto name : kSessionStates) {
    w.sample("servicesmgr_zk_session_state", {{"state", std::string(name)}},
             state.zkSessionState == name ? 1 : 0);
  }
  w.family("servicesmgr_zk_session_expirations_total", "counter",
           "ZooKeeper sessions of this daemon that expired (each replaced by a new one).");
  w.sample("servicesmgr_zk_session_expirations_total", {},
           static_cast<double>(state.zkSessionExpirations));

  w.family("servicesmgr_zk_requests_total", "counter",
           "Requests this daemon sent to ZooKeeper, by operation.");
  for (const auto& [op, count] : state.zkRequests) {
    w.sample("servicesmgr_zk_requests_total", {{"op", op}}, static_cast<double>(count));
  }

  w.family("servicesmgr_events_written_total", "counter", "Events this daemon wrote to events/.");
  w.sample("servicesmgr_events_written_total", {}, static_cast<double>(state.eventsWritten));
  w.family("servicesmgr_events_dropped_total", "counter",
           "Events this daemon dropped unwritten: its queue overflowed while ZooKeeper was out of "
           "reach, or the server refused them.");
  w.sample("servicesmgr_events_dropped_total", {}, static_cast<double>(state.eventsDropped));
  w.family("servicesmgr_events_pending", "gauge", "Events queued, not written to events/ yet.");
  w.sample("servicesmgr_events_pending", {}, static_cast<double>(state.eventsPending));

  w.histogram("servicesmgr_reconcile_pass_seconds", "Duration of the reconcile loop's passes.",
              state.reconcilePassSeconds);

  std::vector<std::pair<const ObservedInstance*, ProcStats>> measured;
  for (const auto& i : state.instances) {
    if (auto stats = i.pid > 0 ? procStats(i.pid) : std::nullopt) measured.emplace_back(&i, *stats);
  }
  w.family("servicesmgr_instance_resident_memory_bytes", "gauge",
           "Resident memory of each instance's process (/proc/<pid>/stat).");
  for (const auto& [i, stats] : measured) {
    w.sample("servicesmgr_instance_resident_memory_bytes",
             {{"type", i->type}, {"logical", i->logical}, {"uuid", i->uuid}},
             static_cast<double>(stats.residentBytes));
  }
  w.family("servicesmgr_instance_cpu_seconds_total", "counter",
           "User and system CPU time of each instance's current process.");
  for (const auto& [i, stats] : measured) {
    w.sample("servicesmgr_instance_cpu_seconds_total",
             {{"type", i->type}, {"logical", i->logical}, {"uuid", i->uuid}}, stats.cpuSeconds);
  }
  return w.take();
}

}  // namespace sm::observe

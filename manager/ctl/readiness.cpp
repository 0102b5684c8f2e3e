#include "manager/ctl/readiness.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include <fmt/format.h>

namespace sm::ctl {

namespace {

MasterEndpoint endpointOf(const model::ClusterSnapshot& snapshot,
                          const model::LogicalServiceView& logical,
                          const model::PhysicalServiceView& master) {
  MasterEndpoint endpoint;
  endpoint.host = master.data->host;
  endpoint.pid = master.data->pid;
  endpoint.epoch = logical.masterEpoch();
  endpoint.ports.assign(master.data->ports.begin(), master.data->ports.end());
  if (const auto host = snapshot.hosts.find(endpoint.host);
      host != snapshot.hosts.end() && host->second.data) {
    if (!host->second.data->address.empty()) endpoint.address = host->second.data->address;
  }
  return endpoint;
}

LogicalReadiness assessLogical(const model::ClusterSnapshot& snapshot,
                               const model::LogicalServiceView& logical, std::int64_t replicas,
                               std::int64_t generation) {
  LogicalReadiness out;
  out.name = config::Layout::logicalServiceName(logical.id.sequence);
  out.wanted = replicas;
  for (const auto& [uuid, instance] : logical.physical) {
    if (!instance.data || instance.data->state != config::PhysicalState::Running) {
      ++out.notRunning;
    } else if (instance.data->generation < generation) {
      ++out.stale;
    } else {
      ++out.running;
    }
  }
  const auto* master = logical.master();
  if (master && master->data && master->data->state == config::PhysicalState::Running) {
    out.master = endpointOf(snapshot, logical, *master);
  }
  return out;
}

std::string plural(std::int64_t n, const char* word) {
  return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

}  // namespace

bool LogicalReadiness::ready() const {
  return running == wanted && stale == 0 && notRunning == 0 && master.has_value();
}

bool TypeReadiness::ready() const {
  return exists && problem.empty() && static_cast<std::int64_t>(logical.size()) == wantedServices &&
         std::all_of(logical.begin(), logical.end(),
                     [](const LogicalReadiness& l) { return l.ready(); });
}

std::int64_t TypeReadiness::readyServices() const {
  return std::count_if(logical.begin(), logical.end(),
                       [](const LogicalReadiness& l) { return l.ready(); });
}

std::int64_t TypeReadiness::runningInstances() const {
  std::int64_t n = 0;
  for (const auto& l : logical) n += l.running;
  return n;
}

TypeReadiness assessType(const model::ClusterSnapshot& snapshot, const std::string& type) {
  TypeReadiness out;
  out.type = type;
  const auto* found = snapshot.type(type);
  if (!found) return out;
  out.exists = true;
  if (!found->stored) {
    out.problem = found->error.empty() ? "its data cannot be read" : found->error;
    return out;
  }
  const auto& spec = found->stored->type.spec;
  out.wantedServices = spec.serviceCount;
  out.replicas = spec.replicationCount;
  for (const auto& [sequence, logical] : found->logical) {
    out.logical.push_back(
        assessLogical(snapshot, logical, spec.replicationCount,
                      found->stored->templateFrom()));
  }
  return out;
}

std::string progressLine(const TypeReadiness& r) {
  if (!r.exists) return fmt::format("{}: the service type does not exist (yet)", r.type);
  if (!r.problem.empty()) return fmt::format("{}: cannot be read", r.type);
  return fmt::format("{}: {}/{} logical services ready, {}/{} instances running", r.type,
                     r.readyServices(), r.wantedServices, r.runningInstances(),
                     r.wantedInstances());
}

std::vector<std::string> missingLines(const TypeReadiness& r) {
  std::vector<std::string> lines;
  if (!r.exists) {
    lines.push_back(fmt::format("{}: the service type does not exist", r.type));
    return lines;
  }
  if (!r.problem.empty()) {
    lines.push_back(fmt::format("{}: config cannot be read: {}", r.type, r.problem));
    return lines;
  }
  const auto have = static_cast<std::int64_t>(r.logical.size());
  if (have < r.wantedServices) {
    lines.push_back(
        fmt::format("{}: {} of {} logical services exist", r.type, have, r.wantedServices));
  } else if (have > r.wantedServices) {
    lines.push_back(
        fmt::format("{}: {} logical services, {} wanted: the surplus is still being "
                    "removed",
                    r.type, have, r.wantedServices));
  }
  for (const auto& l : r.logical) {
    if (l.ready()) continue;
    std::string line =
        fmt::format("{}/{}: {}/{} instances running", r.type, l.name, l.running, l.wanted);
    if (l.notRunning > 0) line += fmt::format(", {} starting or stopping", l.notRunning);
    if (l.stale > 0)
      line += fmt::format(", {} of an older generation", plural(l.stale, "instance"));
    if (!l.master) line += ", no master";
    lines.push_back(std::move(line));
  }
  return lines;
}

std::vector<std::string> endpointLines(const TypeReadiness& r) {
  std::vector<std::string> lines;
  for (const auto& l : r.logical) {
    if (!l.master) continue;
    const auto& m = *l.master;
    std::string line = fmt::format("{}/{} master {}", r.type, l.name, m.host);
    if (m.address) line += fmt::format(" address {}", *m.address);
    line += fmt::format(" pid {}", m.pid);
    if (m.epoch) line += fmt::format(" epoch {}", *m.epoch);
    for (const auto& [name, port] : m.ports) {
      line += m.address ? fmt::format(" {}={}:{}", name, *m.address, port)
                        : fmt::format(" {}={}", name, port);
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

std::optional<std::int64_t> parseDurationMs(const std::string& text) {
  if (text.empty() || text[0] < '0' || text[0] > '9') return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || !std::isfinite(value) || value <= 0) return std::nullopt;
  const std::string unit(end);
  double factor = 0;
  if (unit.empty() || unit == "s") {
    factor = 1000;
  } else if (unit == "ms") {
    factor = 1;
  } else if (unit == "m") {
    factor = 60'000;
  } else if (unit == "h") {
    factor = 3'600'000;
  } else {
    return std::nullopt;
  }
  const double ms = value * factor;
  if (ms < 1 || ms > 1e12) return std::nullopt;
  return static_cast<std::int64_t>(ms);
}

}  // namespace sm::ctl

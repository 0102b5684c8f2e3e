#include "manager/ctl/get_views.hpp"

#include <fmt/format.h>

#include "config/layout.hpp"
#include "manager/ctl/table.hpp"

namespace sm::ctl {

namespace {

using Json = nlohmann::ordered_json;

std::string join(const std::vector<std::string>& items, const char* sep) {
  return fmt::format("{}", fmt::join(items, sep));
}

std::string logicalName(const LogicalView& l) {
  return config::Layout::logicalServiceName(l.id.sequence);
}

std::string orDash(const std::optional<std::int64_t>& value) {
  return value ? std::to_string(*value) : "-";
}

// Problems (undecodable data) gathered under a table, so that one bad znode never hides the rest.
std::string problemLines(const std::vector<std::string>& problems) {
  std::string out;
  for (const auto& p : problems) out += prefixLines(p, "error: ");
  return out;
}

Json typeJson(const TypeView& t) {
  Json j;
  j["name"] = t.name;
  if (!t.stored) {
    j["error"] = t.problem;
  } else {
    j["generation"] = t.stored->generation;
    j["spec"] = config::serviceSpecToJson(t.stored->type.spec);
  }
  j["logicalServices"] = t.logical.size();
  j["instances"] = t.instanceCount();
  j["masters"] = t.masterCount();
  if (t.paused) {
    j["paused"] = true;
    if (t.pause) j["pause"] = {{"since", t.pause->since}, {"reason", t.pause->reason}};
  }
  return j;
}

Json instanceJson(const TypeView& t, const LogicalView& l, const InstanceView& i) {
  Json j;
  j["type"] = t.name;
  j["logicalService"] = logicalName(l);
  j["uuid"] = i.uuid;
  j["role"] = std::string(roleName(i.role));
  j["epoch"] =
      i.role == Role::Master && i.electionSequence ? Json(*i.electionSequence) : Json(nullptr);
  if (!i.data) {
    j["error"] = i.problem;
    return j;
  }
  j["host"] = i.data->host;
  j["pid"] = i.data->pid;
  j["state"] = std::string(config::physicalStateName(i.data->state));
  j["generation"] = i.data->generation;
  j["started"] = i.data->started;
  j["ports"] = i.data->ports;
  return j;
}

Json logicalJson(const TypeView& t, const LogicalView& l) {
  Json j;
  j["type"] = t.name;
  j["name"] = logicalName(l);
  j["sequence"] = l.id.sequence;
  if (l.data) {
    j["uuid"] = l.data->uuid;
    j["created"] = l.data->created;
  } else {
    j["error"] = l.problem;
  }
  j["instances"] = l.instances.size();
  j["replicationCount"] = t.stored ? Json(t.stored->type.spec.replicationCount) : Json(nullptr);
  const auto* m = l.master();
  j["master"] = m ? Json(m->uuid) : Json(nullptr);
  j["epoch"] = l.epoch() ? Json(*l.epoch()) : Json(nullptr);
  if (l.status) j["reason"] = l.status->reason;
  return j;
}

Json hostJson(const HostView& h) {
  Json j;
  j["host"] = h.id;
  j["cordoned"] = h.cordoned;
  if (h.cordon) {
    j["cordon"] = {{"since", h.cordon->since}, {"reason", h.cordon->reason}};
    if (h.cordon->drain) {
      j["cordon"]["drain"] = true;
      j["cordon"]["movePersistent"] = h.cordon->movePersistent;
    }
  }
  if (!h.data) {
    j["error"] = h.problem;
    return j;
  }
  j["labels"] = h.data->labels;
  j["cpus"] = h.data->capacity.cpus;
  j["memoryMB"] = h.data->capacity.memoryMB;
  j["freeMemoryMB"] = h.data->capacity.freeMemoryMB;
  j["load"] = h.data->load;
  j["running"] = h.data->running;
  j["version"] = h.data->version;
  j["started"] = h.data->started;
  return j;
}

std::string typesTable(const ClusterView& view) {
  Table table({"NAME", "GENERATION", "SERVICES", "INSTANCES", "MASTERS", "COMMAND"});
  std::vector<std::string> problems;
  for (const auto& t : view.types) {
    if (!t.stored) {
      table.addRow({t.name, "?", fmt::format("{}/?", t.logical.size()),
                    fmt::format("{}/?", t.instanceCount()), fmt::format("{}/?", t.masterCount()),
                    "<invalid data, see below>"});
      problems.push_back(t.problem);
      continue;
    }
    const auto& spec = t.stored->type.spec;
    table.addRow(
        {t.paused ? t.name + " (paused)" : t.name, std::to_string(t.stored->generation),
         fmt::format("{}/{}", t.logical.size(), spec.serviceCount),
         fmt::format("{}/{}", t.instanceCount(), spec.serviceCount * spec.replicationCount),
         fmt::format("{}/{}", t.masterCount(), spec.serviceCount),
         oneLine(join(spec.command, " "), 60)});
  }
  return table.render() + problemLines(problems);
}

std::string logicalTable(const ClusterView& view, std::int64_t nowMs) {
  Table table({"TYPE", "LOGICAL", "INSTANCES", "MASTER", "EPOCH", "AGE", "STATUS"});
  std::vector<std::string> problems;
  for (const auto& t : view.types) {
    const std::string want = t.stored ? std::to_string(t.stored->type.spec.replicationCount) : "?";
    for (const auto& l : t.logical) {
      const auto* m = l.master();
      std::string status = "-";
      if (l.status && !l.status->reason.empty()) status = oneLine(l.status->reason, 60);
      if (!l.statusProblem.empty()) {
        status = "<invalid status>";
        problems.push_back(l.statusProblem);
      }
      if (!l.problem.empty()) problems.push_back(l.problem);
      table.addRow({t.name, logicalName(l), fmt::format("{}/{}", l.instances.size(), want),
                    m ? instanceLabel(*m) : "-", orDash(l.epoch()),
                    l.data ? formatAge(nowMs - l.data->created) : "?", status});
    }
  }
  return table.render() + problemLines(problems);
}

std::string physicalTable(const ClusterView& view, std::int64_t nowMs) {
  Table table(
      {"TYPE", "LOGICAL", "UUID", "HOST", "PID", "STATE", "ROLE", "EPOCH", "GENERATION", "UPTIME"});
  std::vector<std::string> problems;
  for (const auto& t : view.types) {
    for (const auto& l : t.logical) {
      for (const auto& i : l.instances) {
        const std::string epoch = i.role == Role::Master ? orDash(i.electionSequence) : "-";
        if (!i.data) {
          table.addRow({t.name, logicalName(l), i.uuid, "?", "?", "?",
                        std::string(roleName(i.role)), epoch, "?", "?"});
          problems.push_back(i.problem);
          continue;
        }
        table.addRow({t.name, logicalName(l), i.uuid, i.data->host, std::to_string(i.data->pid),
                      std::string(config::physicalStateName(i.data->state)),
                      std::string(roleName(i.role)), epoch, std::to_string(i.data->generation),
                      formatAge(nowMs - i.data->started)});
      }
    }
  }
  return table.render() + problemLines(problems);
}

std::string hostsTable(const ClusterView& view, std::int64_t nowMs) {
  Table table({"HOST", "CORDONED", "RUNNING", "LOAD", "CPUS", "MEMORY-MB", "FREE-MB", "VERSION",
               "UPTIME", "LABELS"});
  std::vector<std::string> problems;
  for (const auto& h : view.hosts) {
    const std::string cordoned = !h.cordoned ? "-" : h.cordon && h.cordon->drain ? "draining" : "yes";
    if (!h.data) {
      table.addRow(
          {h.id, cordoned, "?", "?", "?", "?", "?", "?", "?", "<invalid data, see below>"});
      problems.push_back(h.problem);
      continue;
    }
    std::vector<std::string> labels;
    for (const auto& [k, v] : h.data->labels) labels.push_back(k + "=" + v);
    table.addRow({h.id, cordoned, std::to_string(h.data->running),
                  fmt::format("{:.2f}", h.data->load),
                  std::to_string(h.data->capacity.cpus), std::to_string(h.data->capacity.memoryMB),
                  std::to_string(h.data->capacity.freeMemoryMB),
                  h.data->version.empty() ? "-" : h.data->version,
                  formatAge(nowMs - h.data->started), labels.empty() ? "-" : join(labels, ",")});
  }
  return table.render() + problemLines(problems);
}

Json identityJson(const IdentityView& i) {
  Json j;
  j["type"] = i.type;
  j["uuid"] = i.uuid;
  if (!i.data) {
    j["error"] = i.problem;
    return j;
  }
  const auto& d = *i.data;
  j["logicalService"] = config::Layout::logicalServiceName(d.logical);
  j["host"] = d.host;
  j["state"] = std::string(config::persistentStateName(d.state));
  j["dataDir"] = d.dataDir;
  j["generation"] = d.generation;
  j["ports"] = d.ports;
  j["created"] = d.created;
  j["lastStarted"] = d.lastStarted;
  j["lastStopped"] = d.lastStopped;
  j["lostSince"] = d.state == config::PersistentState::Lost ? Json(d.lostSince) : Json(nullptr);
  return j;
}

}  // namespace

GetKind parseGetKind(const std::string& name) {
  if (name == "logical") return GetKind::Logical;
  if (name == "physical") return GetKind::Physical;
  if (name == "hosts") return GetKind::Hosts;
  if (name == "instances") return GetKind::Instances;
  if (name == "locks") return GetKind::Locks;
  return GetKind::Types;
}

std::string instanceLabel(const InstanceView& instance) {
  return instance.data ? fmt::format("{}/{}", instance.data->host, instance.data->pid) : "?";
}

nlohmann::ordered_json getDocument(const ClusterView& view, GetKind kind) {
  Json list = Json::array();
  switch (kind) {
    case GetKind::Types:
      for (const auto& t : view.types) list.push_back(typeJson(t));
      break;
    case GetKind::Logical:
      for (const auto& t : view.types) {
        for (const auto& l : t.logical) list.push_back(logicalJson(t, l));
      }
      break;
    case GetKind::Physical:
      for (const auto& t : view.types) {
        for (const auto& l : t.logical) {
          for (const auto& i : l.instances) list.push_back(instanceJson(t, l, i));
        }
      }
      break;
    case GetKind::Hosts:
      for (const auto& h : view.hosts) list.push_back(hostJson(h));
      break;
    case GetKind::Instances:
      for (const auto& i : view.identities) list.push_back(identityJson(i));
      break;
    case GetKind::Locks:
      break;  // not part of the cluster view: lock_views.hpp
  }
  return list;
}

std::string renderGetTable(const ClusterView& view, GetKind kind, std::int64_t nowMs) {
  switch (kind) {
    case GetKind::Types:
      return typesTable(view);
    case GetKind::Logical:
      return logicalTable(view, nowMs);
    case GetKind::Physical:
      return physicalTable(view, nowMs);
    case GetKind::Hosts:
      return hostsTable(view, nowMs);
    case GetKind::Instances:
      return identitiesTable(view.identities, nowMs);
    case GetKind::Locks:
      break;  // not part of the cluster view: lock_views.hpp
  }
  return {};
}

// LAST-SEEN: "now" while it runs; else how long ago it stopped (or was lost).
std::string identitiesTable(const std::vector<IdentityView>& identities, std::int64_t nowMs) {
  Table table({"TYPE", "LOGICAL", "UUID", "HOST", "STATE", "LAST-SEEN", "DATA-DIR"});
  std::vector<std::string> problems;
  for (const auto& i : identities) {
    if (!i.data) {
      table.addRow({i.type, "?", i.uuid, "?", "?", "?", "<invalid data, see below>"});
      problems.push_back(i.problem);
      continue;
    }
    const auto& d = *i.data;
    std::string seen = "now";
    if (d.state == config::PersistentState::Lost) {
      seen = formatAge(nowMs - d.lostSince) + " ago";
    } else if (d.state != config::PersistentState::Running) {
      seen = d.lastStopped > 0 ? formatAge(nowMs - d.lastStopped) + " ago" : "-";
    }
    table.addRow({i.type, config::Layout::logicalServiceName(d.logical), i.uuid, d.host,
                  std::string(config::persistentStateName(d.state)), seen, d.dataDir});
  }
  return table.render() + problemLines(problems);
}

std::string renderGet(const ClusterView& view, GetKind kind, OutputFormat format,
                      std::int64_t nowMs) {
  if (format == OutputFormat::Table) return renderGetTable(view, kind, nowMs);
  return renderDocument(getDocument(view, kind), format);
}

}  // namespace sm::ctl

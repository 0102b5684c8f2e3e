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

std::string logicalName(const model::LogicalServiceView& l) {
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

// The epoch beside an instance: only the master's.
std::optional<std::int64_t> epochOf(const model::LogicalServiceView& l, const std::string& uuid) {
  return l.roleOf(uuid) == model::Role::Master ? l.electionSequenceOf(uuid) : std::nullopt;
}

Json typeJson(const model::ClusterSnapshot& snapshot, const model::ServiceTypeView& t) {
  Json j;
  j["name"] = t.name;
  if (!t.stored) {
    j["error"] = t.error;
  } else {
    j["generation"] = t.stored->generation;
    j["spec"] = config::serviceSpecToJson(t.stored->type.spec);
  }
  j["logicalServices"] = t.logical.size();
  j["instances"] = snapshot.instanceCount(t.name);
  j["masters"] = snapshot.masterCount(t.name);
  if (const auto* pause = snapshot.pauseOf(t.name)) {
    j["paused"] = true;
    if (pause->data) j["pause"] = {{"since", pause->data->since}, {"reason", pause->data->reason}};
  }
  return j;
}

Json instanceJson(const model::ServiceTypeView& t, const model::LogicalServiceView& l,
                  const model::PhysicalServiceView& i) {
  Json j;
  j["type"] = t.name;
  j["logicalService"] = logicalName(l);
  j["uuid"] = i.uuid;
  j["role"] = std::string(model::roleName(l.roleOf(i.uuid)));
  const auto epoch = epochOf(l, i.uuid);
  j["epoch"] = epoch ? Json(*epoch) : Json(nullptr);
  if (!i.data) {
    j["error"] = i.error;
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

Json logicalJson(const model::ServiceTypeView& t, const model::LogicalServiceView& l) {
  Json j;
  j["type"] = t.name;
  j["name"] = logicalName(l);
  j["sequence"] = l.id.sequence;
  if (l.data) {
    j["uuid"] = l.data->uuid;
    j["created"] = l.data->created;
  } else {
    j["error"] = l.error;
  }
  j["instances"] = l.physical.size();
  j["replicationCount"] = t.stored ? Json(t.stored->type.spec.replicationCount) : Json(nullptr);
  const auto* m = l.master();
  j["master"] = m ? Json(m->uuid) : Json(nullptr);
  const auto epoch = l.masterEpoch();
  j["epoch"] = epoch ? Json(*epoch) : Json(nullptr);
  if (l.status) j["reason"] = l.status->reason;
  return j;
}

Json hostJson(const model::ClusterSnapshot& snapshot, const model::HostView& h) {
  Json j;
  j["host"] = h.id;
  const auto* cordon = snapshot.cordonOf(h.id);
  j["cordoned"] = cordon != nullptr;
  if (cordon && cordon->data) {
    const auto& data = *cordon->data;
    j["cordon"] = {{"since", data.since}, {"reason", data.reason}};
    if (data.drain) {
      j["cordon"]["drain"] = true;
      j["cordon"]["movePersistent"] = data.movePersistent;
    }
  }
  if (!h.data) {
    j["error"] = h.error;
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

std::string typesTable(const model::ClusterSnapshot& snapshot) {
  Table table({"NAME", "GENERATION", "SERVICES", "INSTANCES", "MASTERS", "COMMAND"});
  std::vector<std::string> problems;
  for (const auto& [name, t] : snapshot.types) {
    const auto instances = snapshot.instanceCount(name);
    const auto masters = snapshot.masterCount(name);
    if (!t.stored) {
      table.addRow({t.name, "?", fmt::format("{}/?", t.logical.size()),
                    fmt::format("{}/?", instances), fmt::format("{}/?", masters),
                    "<invalid data, see below>"});
      problems.push_back(t.error);
      continue;
    }
    const auto& spec = t.stored->type.spec;
    table.addRow({snapshot.isPaused(name) ? t.name + " (paused)" : t.name,
                  std::to_string(t.stored->generation),
                  fmt::format("{}/{}", t.logical.size(), spec.serviceCount),
                  fmt::format("{}/{}", instances, spec.serviceCount * spec.replicationCount),
                  fmt::format("{}/{}", masters, spec.serviceCount),
                  oneLine(join(spec.command, " "), 60)});
  }
  return table.render() + problemLines(problems);
}

std::string logicalTable(const model::ClusterSnapshot& snapshot, std::int64_t nowMs) {
  Table table({"TYPE", "LOGICAL", "INSTANCES", "MASTER", "EPOCH", "AGE", "STATUS"});
  std::vector<std::string> problems;
  for (const auto& [name, t] : snapshot.types) {
    const std::string want = t.stored ? std::to_string(t.stored->type.spec.replicationCount) : "?";
    for (const auto& [sequence, l] : t.logical) {
      const auto* m = l.master();
      std::string status = "-";
      if (l.status && !l.status->reason.empty()) status = oneLine(l.status->reason, 60);
      if (!l.statusError.empty()) {
        status = "<invalid status>";
        problems.push_back(l.statusError);
      }
      if (!l.error.empty()) problems.push_back(l.error);
      table.addRow({t.name, logicalName(l), fmt::format("{}/{}", l.physical.size(), want),
                    m ? instanceLabel(*m) : "-", orDash(l.masterEpoch()),
                    l.data ? formatAge(nowMs - l.data->created) : "?", status});
    }
  }
  return table.render() + problemLines(problems);
}

std::string physicalTable(const model::ClusterSnapshot& snapshot, std::int64_t nowMs) {
  Table table(
      {"TYPE", "LOGICAL", "UUID", "HOST", "PID", "STATE", "ROLE", "EPOCH", "GENERATION", "UPTIME"});
  std::vector<std::string> problems;
  for (const auto& [name, t] : snapshot.types) {
    for (const auto& [sequence, l] : t.logical) {
      for (const auto* instance : l.inFailoverOrder()) {
        const auto& i = *instance;
        const std::string role(model::roleName(l.roleOf(i.uuid)));
        const std::string epoch = orDash(epochOf(l, i.uuid));
        if (!i.data) {
          table.addRow({t.name, logicalName(l), i.uuid, "?", "?", "?", role, epoch, "?", "?"});
          problems.push_back(i.error);
          continue;
        }
        table.addRow({t.name, logicalName(l), i.uuid, i.data->host, std::to_string(i.data->pid),
                      std::string(config::physicalStateName(i.data->state)), role, epoch,
                      std::to_string(i.data->generation), formatAge(nowMs - i.data->started)});
      }
    }
  }
  return table.render() + problemLines(problems);
}

std::string hostsTable(const model::ClusterSnapshot& snapshot, std::int64_t nowMs) {
  Table table({"HOST", "CORDONED", "RUNNING", "LOAD", "CPUS", "MEMORY-MB", "FREE-MB", "VERSION",
               "UPTIME", "LABELS"});
  std::vector<std::string> problems;
  for (const auto& [id, h] : snapshot.hosts) {
    const std::string cordoned = !snapshot.cordonOf(id)    ? "-"
                                 : snapshot.isDraining(id) ? "draining"
                                                           : "yes";
    if (!h.data) {
      table.addRow(
          {h.id, cordoned, "?", "?", "?", "?", "?", "?", "?", "<invalid data, see below>"});
      problems.push_back(h.error);
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

Json identityJson(const model::PersistentServiceView& i) {
  Json j;
  j["type"] = i.type;
  j["uuid"] = i.uuid;
  if (!i.data) {
    j["error"] = i.error;
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

std::string instanceLabel(const model::PhysicalServiceView& instance) {
  return instance.data ? fmt::format("{}/{}", instance.data->host, instance.data->pid) : "?";
}

nlohmann::ordered_json getDocument(const model::ClusterSnapshot& snapshot, GetKind kind) {
  Json list = Json::array();
  switch (kind) {
    case GetKind::Types:
      for (const auto& [name, t] : snapshot.types) list.push_back(typeJson(snapshot, t));
      break;
    case GetKind::Logical:
      for (const auto& [name, t] : snapshot.types) {
        for (const auto& [sequence, l] : t.logical) list.push_back(logicalJson(t, l));
      }
      break;
    case GetKind::Physical:
      for (const auto& [name, t] : snapshot.types) {
        for (const auto& [sequence, l] : t.logical) {
          for (const auto* i : l.inFailoverOrder()) list.push_back(instanceJson(t, l, *i));
        }
      }
      break;
    case GetKind::Hosts:
      for (const auto& [id, h] : snapshot.hosts) list.push_back(hostJson(snapshot, h));
      break;
    case GetKind::Instances:
      for (const auto* i : identityRows(snapshot)) list.push_back(identityJson(*i));
      break;
    case GetKind::Locks:
      break;  // not part of the cluster view: lock_views.hpp
  }
  return list;
}

std::string renderGetTable(const model::ClusterSnapshot& snapshot, GetKind kind,
                           std::int64_t nowMs) {
  switch (kind) {
    case GetKind::Types:
      return typesTable(snapshot);
    case GetKind::Logical:
      return logicalTable(snapshot, nowMs);
    case GetKind::Physical:
      return physicalTable(snapshot, nowMs);
    case GetKind::Hosts:
      return hostsTable(snapshot, nowMs);
    case GetKind::Instances:
      return identitiesTable(identityRows(snapshot), nowMs);
    case GetKind::Locks:
      break;  // not part of the cluster view: lock_views.hpp
  }
  return {};
}

std::vector<const model::PersistentServiceView*> identityRows(
    const model::ClusterSnapshot& snapshot) {
  std::vector<const model::PersistentServiceView*> rows;
  for (const auto& [type, identities] : snapshot.persistent) {
    for (const auto& [uuid, identity] : identities) rows.push_back(&identity);
  }
  return rows;
}

// LAST-SEEN: "now" while it runs; else how long ago it stopped (or was lost).
std::string identitiesTable(const std::vector<const model::PersistentServiceView*>& identities,
                            std::int64_t nowMs) {
  Table table({"TYPE", "LOGICAL", "UUID", "HOST", "STATE", "LAST-SEEN", "DATA-DIR"});
  std::vector<std::string> problems;
  for (const auto* identity : identities) {
    const auto& i = *identity;
    if (!i.data) {
      table.addRow({i.type, "?", i.uuid, "?", "?", "?", "<invalid data, see below>"});
      problems.push_back(i.error);
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

std::string renderGet(const model::ClusterSnapshot& snapshot, GetKind kind, OutputFormat format,
                      std::int64_t nowMs) {
  if (format == OutputFormat::Table) return renderGetTable(snapshot, kind, nowMs);
  return renderDocument(getDocument(snapshot, kind), format);
}

}  // namespace sm::ctl

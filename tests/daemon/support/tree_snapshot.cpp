#include "tests/daemon/support/tree_snapshot.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "config/names.hpp"
#include "manager/model/tree_reader.hpp"
#include "manager/zk/session_reader.hpp"

namespace sm::test {

std::string LogicalInfo::key() const {
  return id.type + "/" + config::Layout::logicalServiceName(id.sequence);
}

const ElectionEntry* LogicalInfo::masterEntry() const {
  return election.empty() ? nullptr : &election.front();
}

const InstanceInfo* LogicalInfo::master() const {
  const auto* entry = masterEntry();
  if (entry == nullptr) return nullptr;
  auto it = instances.find(entry->physical);
  return it == instances.end() ? nullptr : &it->second;
}

std::vector<std::string> LogicalInfo::hostsOfInstances() const {
  std::vector<std::string> hosts;
  for (const auto& [uuid, instance] : instances) hosts.push_back(instance.host);
  std::sort(hosts.begin(), hosts.end());
  return hosts;
}

const TypeInfo* TreeSnapshot::type(const std::string& name) const {
  auto it = types.find(name);
  return it == types.end() ? nullptr : &it->second;
}

std::size_t TreeSnapshot::instanceCount() const {
  std::size_t count = 0;
  for (const auto& [name, type] : types) {
    for (const auto& [seq, logical] : type.logical) count += logical.instances.size();
  }
  return count;
}

std::vector<std::pair<std::string, InstanceInfo>> TreeSnapshot::allInstances() const {
  std::vector<std::pair<std::string, InstanceInfo>> all;
  for (const auto& [name, type] : types) {
    for (const auto& [seq, logical] : type.logical) {
      for (const auto& [uuid, instance] : logical.instances)
        all.emplace_back(logical.key(), instance);
    }
  }
  return all;
}

std::string TreeSnapshot::str() const {
  std::string out = "hosts:";
  for (const auto& [id, data] : hosts) out += " " + id;
  out += "\n";
  for (const auto& [name, type] : types) {
    out +=
        fmt::format("type {} generation {} (services {}, replicas {}){}\n", name, type.generation,
                    type.serviceCount, type.replicationCount, type.decoded ? "" : " UNDECODABLE");
    for (const auto& [seq, logical] : type.logical) {
      out += fmt::format("  {}\n", config::Layout::logicalServiceName(seq));
      for (const auto& [uuid, i] : logical.instances) {
        out +=
            fmt::format("    instance {} host={} pid={} state={} generation={}{}\n", uuid, i.host,
                        i.pid, i.state, i.generation, i.decoded ? "" : " error: " + i.error);
      }
      for (const auto& e : logical.election) {
        out += fmt::format("    election {} seq={} physical={} host={}\n", e.name, e.sequence,
                           e.physical, e.host);
      }
      if (logical.status) {
        const auto& s = *logical.status;
        out += fmt::format("    status wanted={} registered={} reason=\"{}\"", s.wanted,
                           s.registered, s.reason);
        for (const auto& h : s.hosts) out += fmt::format(" [{}: {}]", h.host, h.reason);
        out += "\n";
      } else if (!logical.statusError.empty()) {
        out += "    status error: " + logical.statusError + "\n";
      }
    }
  }
  return out;
}

TreeSnapshot readTree(zk::Session& session, const config::Layout& layout) {
  zk::SessionReader reader(session);
  model::ReadScope scope;
  scope.observer = true;  // election members as written, with their owners
  scope.identities = false;
  scope.createLocks = false;
  return flatten(model::readSnapshot(reader, layout, scope));
}

TreeSnapshot flatten(const model::ClusterSnapshot& tree) {
  TreeSnapshot snapshot;
  for (const auto& [id, host] : tree.hosts) snapshot.hosts[id] = host.data;
  for (const auto& [name, view] : tree.types) {
    if (config::checkServiceTypeName(name)) continue;  // not a type's node at all
    TypeInfo type;
    type.name = name;
    if (view.stored) {
      type.decoded = true;
      type.generation = view.stored->generation;
      type.serviceCount = view.stored->type.spec.serviceCount;
      type.replicationCount = view.stored->type.spec.replicationCount;
    }
    for (const auto& [sequence, logicalView] : view.logical) {
      LogicalInfo logical;
      logical.id = logicalView.id;
      for (const auto& [uuid, physical] : logicalView.physical) {
        InstanceInfo instance;
        instance.uuid = uuid;
        if (const auto& data = physical.data) {
          instance.decoded = true;
          instance.host = data->host;
          instance.pid = data->pid;
          instance.ports = data->ports;
          instance.state = std::string(config::physicalStateName(data->state));
          instance.generation = data->generation;
        } else {
          instance.error = physical.error;
        }
        logical.instances[uuid] = instance;
      }
      for (const auto& member : logicalView.election) {
        ElectionEntry entry;
        entry.name = member.name;
        entry.sequence = member.sequence;
        if (member.data) {
          entry.physical = member.data->physical;
          entry.host = member.data->host;
        }
        logical.election.push_back(entry);
      }
      logical.status = logicalView.status;
      logical.statusError = logicalView.statusError;
      type.logical[sequence] = std::move(logical);
    }
    snapshot.types[name] = std::move(type);
  }
  return snapshot;
}

}  // namespace sm::test

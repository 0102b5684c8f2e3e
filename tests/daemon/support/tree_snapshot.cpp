#include "tests/daemon/support/tree_snapshot.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "config/election_data.hpp"
#include "config/physical_service_data.hpp"
#include "config/service_type_codec.hpp"
#include "manager/zk/election.hpp"

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
  TreeSnapshot snapshot;
  if (auto hosts = session.children(layout.hostsDir())) {
    for (const auto& id : *hosts) {
      auto node = session.get(layout.host(id));
      if (!node) continue;
      auto decoded = config::decodeHostData(node->data, layout.host(id));
      snapshot.hosts[id] =
          decoded ? std::optional<config::HostData>(decoded.value()) : std::nullopt;
    }
  }
  auto typeNames = session.children(layout.configDir());
  if (!typeNames) return snapshot;
  for (const auto& name : *typeNames) {
    const std::string typePath = layout.serviceType(name);
    auto typeNode = session.get(typePath);
    if (!typeNode) continue;
    TypeInfo type;
    type.name = name;
    auto stored = config::decodeServiceType(typeNode->data, typePath);
    if (stored) {
      type.decoded = true;
      type.generation = stored.value().generation;
      type.serviceCount = stored.value().type.spec.serviceCount;
      type.replicationCount = stored.value().type.spec.replicationCount;
    }
    auto children = session.children(typePath);
    if (!children) continue;
    for (const auto& child : *children) {
      auto sequence = config::Layout::parseLogicalServiceName(child);
      if (!sequence) continue;
      LogicalInfo logical;
      logical.id = {name, *sequence};
      const std::string physicalDir = layout.physicalServicesDir(logical.id);
      if (auto physical = session.children(physicalDir)) {
        for (const auto& p : *physical) {
          auto uuid = config::Layout::parsePhysicalServiceName(p);
          if (!uuid) continue;
          const std::string path = layout.physicalService({logical.id, *uuid});
          auto node = session.get(path);
          if (!node) continue;
          InstanceInfo instance;
          instance.uuid = *uuid;
          auto data = config::decodePhysicalServiceData(node->data, path);
          if (data) {
            instance.decoded = true;
            instance.host = data.value().host;
            instance.pid = data.value().pid;
            instance.ports = data.value().ports;
            instance.state = std::string(config::physicalStateName(data.value().state));
            instance.generation = data.value().generation;
          } else {
            instance.error = data.errorText();
          }
          logical.instances[*uuid] = instance;
        }
      }
      const std::string electionDir = layout.electionDir(logical.id);
      for (auto& member : zk::Election::members(session, electionDir)) {
        ElectionEntry entry;
        entry.name = member.name;
        entry.sequence = member.sequence;
        auto data = config::decodeElectionData(member.data, electionDir + "/" + member.name);
        if (data) {
          entry.physical = data.value().physical;
          entry.host = data.value().host;
        }
        logical.election.push_back(entry);
      }
      const std::string statusPath = layout.status(logical.id);
      if (auto node = session.get(statusPath)) {
        auto status = config::decodeStatusData(node->data, statusPath);
        if (status) {
          logical.status = status.value();
        } else {
          logical.statusError = status.errorText();
        }
      }
      type.logical[*sequence] = std::move(logical);
    }
    snapshot.types[name] = std::move(type);
  }
  return snapshot;
}

}  // namespace sm::test

#include "manager/ctl/cluster_reader.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "config/names.hpp"
#include "manager/ctl/cli_error.hpp"
#include "manager/zk/path.hpp"

namespace sm::ctl {

namespace {

// Error text of a Result without its last newline.
template <class T>
std::string problemOf(const config::Result<T>& result) {
  auto text = result.errorText();
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

// Fills `data` with the decoded document, or `problem` with why it could not be decoded.
template <class T>
void decodeInto(config::Result<T>&& result, std::optional<T>& data, std::string& problem) {
  if (result) {
    data = std::move(result).value();
  } else {
    problem = problemOf(result);
  }
}

class Reader {
 public:
  Reader(zk::Session& session, const config::Layout& layout, const ReadOptions& options)
      : session_(session), layout_(layout), options_(options) {}

  ClusterView read() {
    ClusterView view;
    view.rootExists = exists(layout_.root());
    if (!view.rootExists) return view;
    if (auto names = children(layout_.configDir())) {
      std::sort(names->begin(), names->end());
      for (const auto& name : *names) {
        if (options_.type && name != *options_.type) continue;
        if (auto type = readType(name)) view.types.push_back(std::move(*type));
      }
    }
    if (options_.hosts) view.hosts = readHosts();
    if (options_.maxEvents > 0) view.events = readEvents();
    if (options_.identities) view.identities = readIdentities();
    return view;
  }

 private:
  std::optional<zk::Node> get(const std::string& path) {
    auto watcher = arm(path, WatchKind::Data);
    const bool armed = static_cast<bool>(watcher);
    auto node = session_.get(path, std::move(watcher));
    if (!node && armed) options_.watches->disarm(path, WatchKind::Data);
    return node;
  }

  // A missing node is watched for its creation, so that `watch` sees a type or a directory appear.
  std::optional<std::vector<std::string>> children(const std::string& path) {
    auto watcher = arm(path, WatchKind::Children);
    const bool armed = static_cast<bool>(watcher);
    auto names = session_.children(path, std::move(watcher));
    if (!names) {
      if (armed) options_.watches->disarm(path, WatchKind::Children);
      exists(path);
    }
    return names;
  }

  bool exists(const std::string& path) {
    auto watcher = arm(path, WatchKind::Exists);
    return session_.exists(path, std::move(watcher)).has_value();
  }

  zk::Watcher arm(const std::string& path, WatchKind kind) {
    return options_.watches ? options_.watches->arm(path, kind) : zk::Watcher{};
  }

  std::optional<TypeView> readType(const std::string& name) {
    if (auto bad = config::checkServiceTypeName(name)) {
      // A node another client put there: reported, never read as a type.
      TypeView garbage;
      garbage.name = name;
      garbage.problem =
          zk::childPath(layout_.configDir(), name) + ": not a service type name: " + *bad;
      return garbage;
    }
    const auto path = layout_.serviceType(name);
    auto node = get(path);
    if (!node) return std::nullopt;
    TypeView type;
    type.name = name;
    decodeInto(config::decodeServiceType(node->data, path), type.stored, type.problem);
    if (auto pause = get(layout_.paused(name))) {
      type.paused = true;
      auto data = config::decodePauseData(pause->data, layout_.paused(name));
      if (data) type.pause = data.value();
    }
    if (auto names = children(path)) {
      std::vector<std::int64_t> sequences;
      for (const auto& child : *names) {
        if (auto seq = config::Layout::parseLogicalServiceName(child)) sequences.push_back(*seq);
      }
      std::sort(sequences.begin(), sequences.end());
      for (auto seq : sequences) {
        const bool promotes = type.stored && type.stored->type.spec.promotion.has_value();
        if (auto logical = readLogical({name, seq}, promotes)) {
          type.logical.push_back(std::move(*logical));
        }
      }
    }
    return type;
  }

  std::optional<LogicalView> readLogical(const config::LogicalServiceId& id, bool promotes) {
    const auto path = layout_.logicalService(id);
    auto node = get(path);
    if (!node) return std::nullopt;
    LogicalView logical;
    logical.id = id;
    decodeInto(config::decodeLogicalServiceData(node->data, path), logical.data, logical.problem);
    logical.election = readElection(id);
    auto instances = readInstances(id);
    orderByElection(logical.election, instances, promotes);
    logical.instances = std::move(instances);
    if (auto status = get(layout_.status(id))) {
      decodeInto(config::decodeStatusData(status->data, layout_.status(id)), logical.status,
                 logical.statusProblem);
    }
    if (auto switchover = get(layout_.switchover(id))) {
      auto data = config::decodeSwitchoverData(switchover->data, layout_.switchover(id));
      if (data) logical.switchover = data.value();
    }
    return logical;
  }

  std::vector<ElectionEntry> readElection(const config::LogicalServiceId& id) {
    std::vector<ElectionEntry> entries;
    const auto dir = layout_.electionDir(id);
    auto names = children(dir);
    if (!names) return entries;
    for (const auto& child : *names) {
      auto parsed = config::Layout::parseLockChildName(child);
      if (!parsed) continue;
      const auto path = zk::childPath(dir, child);
      auto node = get(path);
      if (!node) continue;
      ElectionEntry entry{child, parsed->sequence, std::nullopt, ""};
      decodeInto(config::decodeElectionData(node->data, path), entry.data, entry.problem);
      entries.push_back(std::move(entry));
    }
    std::sort(entries.begin(), entries.end(), [](const ElectionEntry& a, const ElectionEntry& b) {
      return a.sequence < b.sequence;
    });
    return entries;
  }

  std::vector<InstanceView> readInstances(const config::LogicalServiceId& id) {
    std::vector<InstanceView> instances;
    auto names = children(layout_.physicalServicesDir(id));
    if (!names) return instances;
    for (const auto& child : *names) {
      auto uuid = config::Layout::parsePhysicalServiceName(child);
      if (!uuid) continue;
      const auto path = layout_.physicalService({id, *uuid});
      auto node = get(path);
      if (!node) continue;
      InstanceView instance;
      instance.uuid = *uuid;
      decodeInto(config::decodePhysicalServiceData(node->data, path), instance.data,
                 instance.problem);
      instances.push_back(std::move(instance));
    }
    return instances;
  }

  // The first election member is master (with spec.promotion, once its manager told it so: a
  // candidate before); the instance it names leads the list.
  static void orderByElection(const std::vector<ElectionEntry>& election,
                              std::vector<InstanceView>& instances, bool promotes) {
    std::map<std::string, std::size_t> rank;
    for (const auto& entry : election) {
      if (entry.data) rank.emplace(entry.data->physical, rank.size());
    }
    for (auto& instance : instances) {
      auto it = rank.find(instance.uuid);
      if (it == rank.end()) continue;
      const bool first = it->second == 0 && election.front().data &&
                         election.front().data->physical == instance.uuid;
      instance.role = !first                                      ? Role::Secondary
                      : !promotes || election.front().data->master ? Role::Master
                                                                  : Role::Candidate;
      for (const auto& entry : election) {
        if (entry.data && entry.data->physical == instance.uuid) {
          instance.electionSequence = entry.sequence;
          break;
        }
      }
    }
    std::stable_sort(instances.begin(), instances.end(),
                     [&](const InstanceView& a, const InstanceView& b) {
                       auto ra = rank.contains(a.uuid) ? rank[a.uuid] : rank.size();
                       auto rb = rank.contains(b.uuid) ? rank[b.uuid] : rank.size();
                       return ra != rb ? ra < rb : a.uuid < b.uuid;
                     });
  }

  std::vector<HostView> readHosts() {
    std::vector<HostView> hosts;
    auto names = children(layout_.hostsDir());
    if (!names) return hosts;
    std::sort(names->begin(), names->end());
    for (const auto& id : *names) {
      if (!config::isValidHostId(id)) continue;
      const auto path = layout_.host(id);
      auto node = get(path);
      if (!node) continue;
      HostView host;
      host.id = id;
      decodeInto(config::decodeHostData(node->data, path), host.data, host.problem);
      if (auto cordon = get(layout_.cordon(id))) {
        host.cordoned = true;
        auto data = config::decodeCordonData(cordon->data, layout_.cordon(id));
        if (data) host.cordon = data.value();
      }
      hosts.push_back(std::move(host));
    }
    return hosts;
  }

  std::vector<IdentityView> readIdentities() {
    std::vector<IdentityView> identities;
    auto types = children(layout_.servicesDir());
    if (!types) return identities;
    std::sort(types->begin(), types->end());
    for (const auto& type : *types) {
      if (!config::isValidServiceTypeName(type) || (options_.type && type != *options_.type)) {
        continue;
      }
      auto names = children(layout_.persistentServicesDir(type));
      if (!names) continue;
      std::sort(names->begin(), names->end());
      for (const auto& name : *names) {
        const auto uuid = config::Layout::parsePersistentServiceName(name);
        if (!uuid) continue;
        const auto path = layout_.persistentService(type, *uuid);
        auto node = get(path);
        if (!node) continue;
        IdentityView identity{type, *uuid, std::nullopt, ""};
        decodeInto(config::decodePersistentServiceData(node->data, path), identity.data,
                   identity.problem);
        identities.push_back(std::move(identity));
      }
    }
    return identities;
  }

  std::vector<EventView> readEvents() {
    std::vector<EventView> events;
    auto names = children(layout_.eventsDir());
    if (!names) return events;
    std::vector<std::pair<std::int64_t, std::string>> found;
    for (const auto& child : *names) {
      if (auto seq = config::Layout::parseEventName(child)) found.emplace_back(*seq, child);
    }
    std::sort(found.begin(), found.end());
    if (found.size() > options_.maxEvents)
      found.erase(found.begin(), found.end() - static_cast<std::ptrdiff_t>(options_.maxEvents));
    for (const auto& [seq, child] : found) {
      if (auto node = session_.get(zk::childPath(layout_.eventsDir(), child))) {
        events.push_back({seq, std::move(node->data)});
      }
    }
    return events;
  }

  zk::Session& session_;
  const config::Layout& layout_;
  const ReadOptions& options_;
};

}  // namespace

ClusterView readCluster(zk::Session& session, const config::Layout& layout,
                        const ReadOptions& options) {
  session.sync(layout.root());
  return Reader(session, layout, options).read();
}

ClusterView readExistingType(zk::Session& session, const config::Layout& layout,
                             const std::string& type, std::size_t maxEvents) {
  ReadOptions read;
  read.type = type;
  read.hosts = false;
  read.maxEvents = maxEvents;
  read.identities = true;
  auto view = readCluster(session, layout, read);
  if (!view.findType(type))
    throw operationFailed(fmt::format("service type \"{}\" not found", type));
  return view;
}

}  // namespace sm::ctl

#include "manager/model/tree_reader.hpp"

#include <algorithm>
#include <set>

#include "config/names.hpp"
#include "manager/zk/path.hpp"

namespace sm::model {

namespace {

using Names = std::vector<std::string>;

// Error text of a decoder's Result without its last newline.
template <class T>
std::string errorOf(const config::Result<T>& result) {
  auto text = result.errorText();
  if (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

class Reader {
 public:
  Reader(zk::NodeReader& tree, const config::Layout& layout, const ReadScope& scope,
         const ReadProblem& report, DecodeMemo* memo)
      : tree_(tree), layout_(layout), scope_(scope), report_(report), memo_(memo) {}

  ClusterSnapshot read() {
    ClusterSnapshot snapshot;
    if (scope_.observer) {
      snapshot.rootExists = tree_.exists(layout_.root());
      if (!snapshot.rootExists) return snapshot;
    }
    const auto* focus = scope_.focus ? &*scope_.focus : nullptr;
    if (scope_.types) {
      const auto names = children(layout_.configDir());
      prefetchEach(names, [&](const std::string& name) -> std::optional<std::string> {
        if (!wanted(name) || config::checkServiceTypeName(name)) return std::nullopt;
        return layout_.serviceType(name);
      });
      for (const auto& name : names) {
        if (!wanted(name)) continue;
        if (auto type = readType(name)) snapshot.types.emplace(name, std::move(*type));
      }
    }
    if (scope_.identities) readIdentities(snapshot);
    std::set<std::string> whole;
    std::set<config::LogicalServiceId> focused;
    if (focus) {
      whole = wholeTypes(*focus, snapshot);
      focused = focus->logical;
      prefetchInboxes({focus->host}, {});
      readInbox(focus->host, {}, snapshot);
      for (const auto& [id, named] : snapshot.assignments) focused.insert(id);
      for (const auto& [type, identities] : snapshot.persistent) {
        for (const auto& [uuid, identity] : identities) {
          if (identity.data && identity.data->host == focus->host) {
            focused.insert({type, identity.data->logical});
          }
        }
      }
    }
    // Inboxes before the logical services: the replicas read are then at least as new as the
    // names, so an entry whose replica is registered is seen done, not as a host still to place.
    if (focus ? !whole.empty() : scope_.assignments) {
      Names hosts;
      for (auto& host : children(layout_.assignmentsDir())) {
        if (config::isValidHostId(host) && !(focus && host == focus->host)) {
          hosts.push_back(std::move(host));
        }
      }
      // One node per host and type, changed once per pass of the holder at most.
      prefetchInboxes(hosts, whole);
      for (const auto& host : hosts) readInbox(host, whole, snapshot);
    }
    for (auto& [name, type] : snapshot.types) {
      if (!focus || whole.contains(name)) {
        readLogicals(type, nullptr, true);
        continue;
      }
      // Only the logical services of the focus; the listing only when one of them may be surplus
      // (ServiceTypeView::wantedWhateverListed), as after a scale-down. Not their statuses: only
      // the type's monitor holder plans from them (a status missing while its replicas are placed
      // would cost each named host a watch and reads of its own).
      const auto first = focused.lower_bound({name, 0});
      const auto end = focused.lower_bound({name + '\0', 0});
      if (first == end) continue;
      const bool maybeSurplus = std::any_of(first, end, [&](const config::LogicalServiceId& id) {
        return !type.wantedWhateverListed(id.sequence);
      });
      if (maybeSurplus) {
        readLogicals(type, &focused, false);
      } else {
        std::vector<std::int64_t> sequences;
        for (auto it = first; it != end; ++it) sequences.push_back(it->sequence);
        prefetchLogicals(type, sequences, false);
        for (const auto sequence : sequences) readOneLogical(type, sequence, false);
      }
    }
    if (scope_.hosts) {
      if (focus && whole.empty()) {
        readFocusedHosts(*focus, snapshot);
      } else {
        readHosts(snapshot);
      }
      // An operator's marks: an unreadable one still counts (the host cordoned, the type paused).
      readMarks<CordonView>(
          layout_.cordonsDir(), [](const auto& id) { return config::isValidHostId(id); },
          [&](const auto& id) { return layout_.cordon(id); }, config::decodeCordonData,
          " (the host counts as cordoned)", snapshot.cordons);
    }
    if (scope_.types) {
      readMarks<PauseView>(
          layout_.pausedDir(),
          [&](const auto& type) { return config::isValidServiceTypeName(type) && wanted(type); },
          [&](const auto& type) { return layout_.paused(type); }, config::decodePauseData,
          " (the type counts as paused)", snapshot.paused);
      readSwitchovers(snapshot);
    }
    if (scope_.createLocks && (!focus || !whole.empty())) {
      for (const auto& name : children(layout_.createPhysicalServiceLocksDir())) {
        if (auto id = config::Layout::parseCreateLockName(name)) {
          snapshot.createLocks.emplace(*id, CreateLockView{*id});
        }
      }
    }
    if (scope_.events) readEvents(*scope_.events, snapshot);
    if (scope_.resourceLocks) readResourceLocks(snapshot);
    return snapshot;
  }

 private:
  Names children(const std::string& path) { return tree_.children(path).value_or(Names{}); }

  // Asks at once for the nodes a loop over `names` reads next (`pathOf` gives none for a name
  // the loop skips): a pass then waits for one round trip per level of the tree, not one per node.
  template <typename PathOf>
  void prefetchEach(const Names& names, PathOf pathOf) {
    std::vector<std::string> nodes;
    for (const auto& name : names) {
      if (auto path = pathOf(name)) nodes.push_back(std::move(*path));
    }
    if (nodes.size() > 1) tree_.prefetch(nodes, {});
  }

  // The inboxes of `hosts` (their listings, then their nodes of `types`), as readInbox reads them.
  void prefetchInboxes(const Names& hosts, const std::set<std::string>& types) {
    std::vector<std::string> listings;
    for (const auto& host : hosts) listings.push_back(layout_.hostAssignments(host));
    if (!tree_.prefetch({}, listings)) return;
    std::vector<std::string> nodes;
    for (const auto& host : hosts) {
      for (const auto& type : children(layout_.hostAssignments(host))) {
        if (inboxType(type, types)) nodes.push_back(layout_.assignments(host, type));
      }
    }
    tree_.prefetch(nodes, {});
  }

  // What readLogical reads of these logical services: the listings (and status) first, then the
  // physical nodes (and member nodes) the listings name.
  void prefetchLogicals(const ServiceTypeView& type, const std::vector<std::int64_t>& sequences,
                        bool withStatus) {
    if (sequences.size() < 2) return;
    const bool memberNodes = scope_.observer || readsMemberNodes(type);
    std::vector<std::string> nodes;
    std::vector<std::string> listings;
    for (const auto sequence : sequences) {
      const config::LogicalServiceId id{type.name, sequence};
      if (scope_.observer) nodes.push_back(layout_.logicalService(id));
      if (withStatus) nodes.push_back(layout_.status(id));
      listings.push_back(layout_.physicalServicesDir(id));
      listings.push_back(layout_.electionDir(id));
    }
    if (!tree_.prefetch(nodes, listings)) return;
    nodes.clear();
    for (const auto sequence : sequences) {
      const config::LogicalServiceId id{type.name, sequence};
      for (const auto& name : children(layout_.physicalServicesDir(id))) {
        if (auto uuid = config::Layout::parsePhysicalServiceName(name)) {
          nodes.push_back(layout_.physicalService({id, *uuid}));
        }
      }
      if (!memberNodes) continue;
      for (const auto& name : children(layout_.electionDir(id))) {
        if (config::Layout::parseLockChildName(name)) {
          nodes.push_back(layout_.electionMember(id, name));
        }
      }
    }
    tree_.prefetch(nodes, {});
  }

  // A promotion type's members publish their scores in their data: their nodes are read.
  static bool readsMemberNodes(const ServiceTypeView& type) {
    return type.stored && type.stored->type.spec.promotion.has_value();
  }

  // Whether an inbox's child is the node of a type in `types` (all when empty) that is wanted.
  bool inboxType(const std::string& name, const std::set<std::string>& types) const {
    return config::isValidServiceTypeName(name) && (types.empty() || types.contains(name)) &&
           wanted(name);
  }

  bool wanted(const std::string& type) const { return !scope_.type || *scope_.type == type; }

  // The focus's whole types and, transitively, the types they depend on.
  static std::set<std::string> wholeTypes(const Focus& focus, const ClusterSnapshot& snapshot) {
    std::set<std::string> whole;
    std::vector<std::string> pending(focus.wholeTypes.begin(), focus.wholeTypes.end());
    while (!pending.empty()) {
      auto name = std::move(pending.back());
      pending.pop_back();
      if (!whole.insert(name).second) continue;
      const auto* type = snapshot.type(name);
      if (!type || !type->stored) continue;
      for (const auto& other : type->stored->type.spec.constraints.dependsOn) {
        pending.push_back(other);
      }
    }
    return whole;
  }

  // One host's inbox; only its nodes of `types` unless it is empty. (Prefetched by the caller.)
  void readInbox(const std::string& host, const std::set<std::string>& types,
                 ClusterSnapshot& snapshot) {
    for (const auto& type : children(layout_.hostAssignments(host))) {
      if (!inboxType(type, types)) continue;
      const auto path = layout_.assignments(host, type);
      auto node = tree_.get(path);
      if (!node) continue;
      AssignmentsNodeView view{host, type, node->stat.version, ""};
      std::optional<config::AssignmentsData> data;
      decode(*node, path, config::decodeAssignmentsData, data, view.error,
             " (it names nobody until the monitor holder writes it again)");
      if (data) {
        for (const auto& [sequence, named] : data->named) {
          const config::LogicalServiceId id{type, sequence};
          snapshot.assignments[id].emplace(host, AssignmentView{host, id, named});
        }
      }
      snapshot.assignmentNodes.emplace(std::make_pair(host, type), std::move(view));
    }
  }

  // Every host's id (the listing changes only when hosts come and go), its own node's data only:
  // peers are reached at the address their physical services carry.
  void readFocusedHosts(const Focus& focus, ClusterSnapshot& snapshot) {
    for (const auto& id : children(layout_.hostsDir())) {
      if (!config::isValidHostId(id)) continue;
      if (id == focus.host && focus.ownHost) {
        snapshot.hosts.emplace(id, HostView{id, focus.ownHost, "", 0});
      } else if (id == focus.host) {
        readHost(id, snapshot);
      } else {
        snapshot.hosts.emplace(id, HostView{id, std::nullopt, "", 0});
      }
    }
  }

  // Decodes `node` into `data`, or keeps and reports why it cannot be.
  // With a memo, data decoded before at the same modification is taken from it (reported then).
  template <class T, class Decode>
  void decode(const zk::Node& node, const std::string& path, Decode decoder, std::optional<T>& data,
              std::string& error, const std::string& note = "") {
    if (memo_) {
      if (auto* slot = memo_->find(path, node.stat.mzxid)) {
        if (slot->value) {
          data = *static_cast<const T*>(slot->value.get());
        } else {
          error = slot->error;
        }
        return;
      }
    }
    auto decoded = decoder(node.data, path);
    if (decoded) {
      data = std::move(decoded).value();
      if (memo_) memo_->keep(path, {node.stat.mzxid, std::make_shared<const T>(*data), "", 0});
    } else {
      error = errorOf(decoded);
      if (report_) report_(path, error + note);
      if (memo_) memo_->keep(path, {node.stat.mzxid, nullptr, error, 0});
    }
  }

  // The type's own node; its logical services are read by readLogicals or readOneLogical.
  std::optional<ServiceTypeView> readType(const std::string& name) {
    ServiceTypeView type;
    type.name = name;
    if (auto bad = config::checkServiceTypeName(name)) {
      // A node another client put there: reported, never read as a type.
      type.error = zk::childPath(layout_.configDir(), name) + ": not a service type name: " + *bad;
      if (report_) report_(zk::childPath(layout_.configDir(), name), type.error);
      return type;
    }
    const auto path = layout_.serviceType(name);
    auto node = tree_.get(path);
    if (!node) return std::nullopt;  // gone since the listing
    decode(*node, path, config::decodeServiceType, type.stored, type.error);
    return type;
  }

  // The type's listing; every logical service in it is read unless `only` is given.
  void readLogicals(ServiceTypeView& type, const std::set<config::LogicalServiceId>* only,
                    bool withStatus) {
    if (config::checkServiceTypeName(type.name)) return;  // not a type's node: nothing under it
    type.listed = true;
    for (const auto& child : children(layout_.serviceType(type.name))) {
      if (auto sequence = config::Layout::parseLogicalServiceName(child)) {
        type.sequences.push_back(*sequence);
      }
    }
    std::sort(type.sequences.begin(), type.sequences.end());
    std::vector<std::int64_t> read;
    for (const auto sequence : type.sequences) {
      if (!only || only->contains({type.name, sequence})) read.push_back(sequence);
    }
    prefetchLogicals(type, read, withStatus);
    for (const auto sequence : read) readOneLogical(type, sequence, withStatus);
  }

  void readOneLogical(ServiceTypeView& type, std::int64_t sequence, bool withStatus) {
    LogicalServiceView logical;
    logical.id = {type.name, sequence};
    // A promotion type's members publish their scores in their data (watched: a new score
    // wakes the manager, whose candidate may be waiting for it).
    const bool memberNodes = readsMemberNodes(type);
    logical.promotes = memberNodes;
    if (readLogical(logical, memberNodes, withStatus)) {
      type.logical.emplace(sequence, std::move(logical));
    }
  }

  bool readLogical(LogicalServiceView& logical, bool memberNodes, bool withStatus) {
    if (scope_.observer) {
      const auto path = layout_.logicalService(logical.id);
      auto node = tree_.get(path);
      if (!node) return false;
      decode(*node, path, config::decodeLogicalServiceData, logical.data, logical.error);
    }
    // Made and removed with the logical service in one multi(): missing, the service is gone.
    const auto names = tree_.children(layout_.physicalServicesDir(logical.id));
    if (!names) return false;
    for (const auto& name : *names) {
      auto uuid = config::Layout::parsePhysicalServiceName(name);
      if (!uuid) continue;
      const auto path = layout_.physicalService({logical.id, *uuid});
      auto node = tree_.get(path);
      if (!node) continue;
      PhysicalServiceView view;
      view.uuid = *uuid;
      view.ephemeralOwner = node->stat.ephemeralOwner;
      view.version = node->stat.version;
      decode(*node, path, config::decodePhysicalServiceData, view.data, view.error);
      logical.physical.emplace(*uuid, std::move(view));
    }
    readElection(logical, memberNodes);
    if (!withStatus) return true;
    const auto statusPath = layout_.status(logical.id);
    if (auto node = tree_.get(statusPath)) {
      logical.statusVersion = node->stat.version;
      decode(*node, statusPath, config::decodeStatusData, logical.status, logical.statusError,
             " (the config monitor writes it again)");
    }
    return true;
  }

  // The members' own nodes are read by observers and for promotion types; else the chain is
  // derived from the members' names.
  void readElection(LogicalServiceView& logical, bool memberNodes) {
    const auto dir = layout_.electionDir(logical.id);
    for (const auto& name : children(dir)) {
      auto parsed = config::Layout::parseLockChildName(name);
      if (!parsed) continue;
      ElectionMember member{name, parsed->sequence, std::nullopt, "", 0};
      if (scope_.observer || memberNodes) {
        const auto path = layout_.electionMember(logical.id, name);
        auto node = tree_.get(path);
        if (!node) continue;
        member.ephemeralOwner = node->stat.ephemeralOwner;
        decode(*node, path, config::decodeElectionData, member.data, member.error);
      } else if (!parsed->uuid.empty()) {
        // The member's name carries the physical service's uuid (Layout::electionMemberPrefix),
        // so the failover chain is known from one listing, without reading every member.
        config::ElectionData data{parsed->uuid, ""};
        auto physical = logical.physical.find(parsed->uuid);
        if (physical != logical.physical.end() && physical->second.data) {
          data.host = physical->second.data->host;
        }
        member.data = data;
      }
      logical.election.push_back(std::move(member));
    }
    std::sort(logical.election.begin(), logical.election.end(),
              [](const auto& a, const auto& b) { return a.sequence < b.sequence; });
  }

  void readHosts(ClusterSnapshot& snapshot) {
    const auto ids = children(layout_.hostsDir());
    prefetchEach(ids, [&](const std::string& id) -> std::optional<std::string> {
      if (!config::isValidHostId(id)) return std::nullopt;
      return layout_.host(id);
    });
    for (const auto& id : ids) {
      if (config::isValidHostId(id)) readHost(id, snapshot);
    }
  }

  void readHost(const std::string& id, ClusterSnapshot& snapshot) {
    const auto path = layout_.host(id);
    auto node = tree_.get(path);
    if (!node) return;
    HostView host;
    host.id = id;
    host.ephemeralOwner = node->stat.ephemeralOwner;
    decode(*node, path, config::decodeHostData, host.data, host.error);
    snapshot.hosts.emplace(id, std::move(host));
  }

  // The children of `dir` whose names `valid` accepts, each decoded into a {data, error} view; one
  // that cannot be decoded is kept with its error and reported with `note`.
  template <typename View, typename Valid, typename PathOf, typename Decode>
  void readMarks(const std::string& dir, Valid valid, PathOf pathOf, Decode decoder,
                 const std::string& note, std::map<std::string, View>& out) {
    const auto names = children(dir);
    prefetchEach(names, [&](const std::string& name) -> std::optional<std::string> {
      if (!valid(name)) return std::nullopt;
      return pathOf(name);
    });
    for (const auto& name : names) {
      if (!valid(name)) continue;
      const auto path = pathOf(name);
      auto node = tree_.get(path);
      if (!node) continue;
      View view;
      decode(*node, path, decoder, view.data, view.error, note);
      out.emplace(name, std::move(view));
    }
  }

  void readSwitchovers(ClusterSnapshot& snapshot) {
    const auto names = children(layout_.switchoversDir());
    prefetchEach(names, [&](const std::string& name) -> std::optional<std::string> {
      const auto id = config::Layout::parseCreateLockName(name);
      if (!id || !wanted(id->type)) return std::nullopt;
      return layout_.switchover(*id);
    });
    for (const auto& name : names) {
      const auto id = config::Layout::parseCreateLockName(name);
      if (!id || !wanted(id->type)) continue;
      const auto path = layout_.switchover(*id);
      auto node = tree_.get(path);
      if (!node) continue;
      SwitchoverView switchover;
      switchover.version = node->stat.version;
      decode(*node, path, config::decodeSwitchoverData, switchover.data, switchover.error,
             " (ignored; servicesctl switchover replaces it)");
      snapshot.switchovers.emplace(*id, std::move(switchover));
    }
  }

  void readIdentities(ClusterSnapshot& snapshot) {
    for (const auto& type : children(layout_.servicesDir())) {
      // Not a type's directory: nothing of ours.
      if (!config::isValidServiceTypeName(type) || !wanted(type)) continue;
      auto& identities = snapshot.persistent[type];
      const auto names = children(layout_.persistentServicesDir(type));
      prefetchEach(names, [&](const std::string& name) -> std::optional<std::string> {
        const auto uuid = config::Layout::parsePersistentServiceName(name);
        if (!uuid) return std::nullopt;
        return layout_.persistentService(type, *uuid);
      });
      for (const auto& name : names) {
        const auto uuid = config::Layout::parsePersistentServiceName(name);
        if (!uuid) continue;
        const auto path = layout_.persistentService(type, *uuid);
        auto node = tree_.get(path);
        if (!node) continue;
        PersistentServiceView view{type, *uuid, std::nullopt, "", node->stat.version};
        decode(*node, path, config::decodePersistentServiceData, view.data, view.error,
               " (this identity is left alone until an operator forgets it)");
        identities.emplace(*uuid, std::move(view));
      }
    }
  }

  void readResourceLocks(ClusterSnapshot& snapshot) {
    auto names = children(layout_.resourceLocksDir());
    std::sort(names.begin(), names.end());
    for (const auto& child : names) {
      auto name = config::Layout::parseResourceLockName(child);
      if (!name || (scope_.resourceLock && *scope_.resourceLock != *name)) continue;
      const auto dir = layout_.resourceLock(*name);
      auto members = tree_.children(dir);
      if (!members) continue;  // removed meanwhile
      ResourceLockView lock;
      lock.name = *name;
      for (const auto& member : *members) {
        auto parsed = config::Layout::parseLockChildName(member);
        if (!parsed) continue;
        const auto path = zk::childPath(dir, member);
        auto node = tree_.get(path);
        if (!node) continue;  // released meanwhile
        ResourceLockContender contender{member, parsed->sequence, std::nullopt, ""};
        decode(*node, path, config::decodeResourceLockData, contender.data, contender.error);
        lock.contenders.push_back(std::move(contender));
      }
      std::sort(lock.contenders.begin(), lock.contenders.end(),
                [](const auto& a, const auto& b) { return a.sequence < b.sequence; });
      snapshot.resourceLocks.push_back(std::move(lock));
    }
  }

  // Newest first until `limit` match, so that a type's latest few cost a few reads. A node holds
  // one event or several written together. A node trimmed between the listing and its read is
  // skipped; an undecodable one is shown only when no type is asked for (whose it is cannot be
  // told). Not reported: events are no one's state.
  void readEvents(const EventQuery& query, ClusterSnapshot& snapshot) {
    snapshot.newestEvent = query.after;
    std::vector<std::pair<std::int64_t, std::string>> found;
    for (const auto& name : children(layout_.eventsDir())) {
      const auto sequence = config::Layout::parseEventName(name);
      if (!sequence || *sequence <= query.after) continue;
      found.emplace_back(*sequence, name);
      snapshot.newestEvent = std::max(snapshot.newestEvent, *sequence);
    }
    std::sort(found.begin(), found.end());
    const auto full = [&] { return query.limit > 0 && snapshot.events.size() >= query.limit; };
    for (auto it = found.rbegin(); it != found.rend() && !full(); ++it) {
      const auto path = zk::childPath(layout_.eventsDir(), it->second);
      auto node = tree_.get(path);
      if (!node) continue;
      auto decoded = config::decodeEvents(node->data, path);
      if (!decoded) {
        if (!query.type) snapshot.events.push_back({it->first, 0, std::nullopt, errorOf(decoded)});
        continue;
      }
      auto events = std::move(decoded).value();
      for (std::size_t index = events.size(); index-- > 0 && !full();) {
        if (query.type && events[index].type != *query.type) continue;
        snapshot.events.push_back({it->first, index, std::move(events[index]), ""});
      }
    }
    std::reverse(snapshot.events.begin(), snapshot.events.end());
  }

  zk::NodeReader& tree_;
  const config::Layout& layout_;
  const ReadScope& scope_;
  const ReadProblem& report_;
  DecodeMemo* memo_;
};

}  // namespace

ClusterSnapshot readSnapshot(zk::NodeReader& tree, const config::Layout& layout,
                             const ReadScope& scope, const ReadProblem& report, DecodeMemo* memo) {
  if (memo) memo->beginPass();
  auto snapshot = Reader(tree, layout, scope, report, memo).read();
  if (memo) memo->endPass();
  return snapshot;
}

}  // namespace sm::model

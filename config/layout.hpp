#pragma once

// The ONLY code in the project that spells znode names and paths (see docs/tree.md, the layout
// contract). Everything else asks a Layout.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sm::config {

// Digits ZooKeeper appends to a sequential node's name.
inline constexpr std::size_t kSequenceDigits = 10;
inline constexpr std::int64_t kMaxSequence = 9'999'999'999;

// A logical service: config/<type>/logicalService<sequence>.
struct LogicalServiceId {
  std::string type;
  std::int64_t sequence = 0;
  auto operator<=>(const LogicalServiceId&) const = default;
};

// A physical service: config/<type>/logicalService<seq>/physicalServices/physicalService<uuid>.
struct PhysicalServiceId {
  LogicalServiceId logical;
  std::string uuid;
  auto operator<=>(const PhysicalServiceId&) const = default;
};

// A lock or election child: "lock-<uuid>-<10 digits>" (uuid empty for a bare "lock-<10 digits>").
struct LockChildName {
  std::string uuid;
  std::int64_t sequence = 0;
  auto operator<=>(const LockChildName&) const = default;
};

// ZooKeeper's own path rules: absolute, no empty, "." or ".." component, no trailing '/', valid
// UTF-8 without the characters ZooKeeper refuses. nullopt when valid.
std::optional<std::string> checkZnodePath(std::string_view path);
// A root for a federation: a valid znode path, not "/" itself and not under /zookeeper.
std::optional<std::string> checkZroot(std::string_view zroot);

class Layout {
 public:
  // Throws std::invalid_argument (with checkZroot's reason) for an invalid root; check user input
  // with checkZroot first.
  explicit Layout(std::string zroot);

  // Children of election/ and of every lock directory start with this; a lock recipe appends
  // "<uuid>-" and ZooKeeper the sequence.
  static constexpr std::string_view kLockChildPrefix = "lock-";
  // Children of events/: "event-<10 digits>".
  static constexpr std::string_view kEventChildPrefix = "event-";

  const std::string& root() const { return root_; }      // /zroot
  std::string configDir() const;                         // /zroot/config
  std::string serviceType(std::string_view type) const;  // /zroot/config/<type>
  // /zroot/config/<type>/logicalService: the path to create PERSISTENT_SEQUENTIAL with.
  std::string logicalServicePrefix(std::string_view type) const;
  std::string logicalService(const LogicalServiceId& id) const;  // .../logicalService0000000003
  std::string physicalServicesDir(const LogicalServiceId& id) const;  // .../physicalServices
  std::string physicalService(const PhysicalServiceId& id) const;     // .../physicalService<uuid>
  std::string electionDir(const LogicalServiceId& id) const;          // .../election
  // .../election/lock-<uuid>-: create EPHEMERAL_SEQUENTIAL with it; the uuid is the physical
  // service's, so a create retried after a connection loss finds its own node.
  std::string electionMemberPrefix(const PhysicalServiceId& id) const;
  // .../election/<child>: one member, by the name it was listed with (parseLockChildName must
  // accept it; throws std::invalid_argument otherwise).
  std::string electionMember(const LogicalServiceId& id, std::string_view child) const;
  std::string status(const LogicalServiceId& id) const;               // .../status
  std::string locksDir() const;                                       // /zroot/locks
  std::string serviceConfigMonitorLocksDir() const;  // /zroot/locks/serviceConfigMonitor
  std::string serviceConfigMonitorLock(
      std::string_view type) const;                   // .../serviceConfigMonitor/<type>
  std::string createPhysicalServiceLocksDir() const;  // /zroot/locks/createPhysicalService
  // .../createPhysicalService/<type>_logicalService<10 digits>
  std::string createPhysicalServiceLock(const LogicalServiceId& id) const;
  // Its one holder trims events/ to the newest events (zk::ChildRetention); queued in by every
  // daemon, created on first use.
  std::string eventsRetentionLock() const;  // /zroot/locks/eventsRetention
  // Cluster-wide locks the daemons hold for their managed processes (docs/locks.md): one queue
  // per lock name, made with its first contender.
  std::string resourceLocksDir() const;                   // /zroot/locks/resources
  std::string resourceLock(std::string_view name) const;  // /zroot/locks/resources/<name>
  std::string hostsDir() const;                     // /zroot/hosts
  std::string host(std::string_view hostId) const;  // /zroot/hosts/<hostId>
  std::string eventsDir() const;                    // /zroot/events
  std::string eventPrefix() const;  // /zroot/events/event-: create PERSISTENT_SEQUENTIAL with it
  // Persistent services (seed 004's services/ container): one PERSISTENT znode per identity of a
  // persistent type, named by its uuid, that outlives processes, managers and the type itself.
  std::string servicesDir() const;                                // /zroot/services
  // Hosts an operator cordoned (servicesctl cordon): persistent, unlike hosts/<id>, so that the mark
  // outlives the host's session. Made with the first cordon.
  std::string cordonsDir() const;                     // /zroot/cordons
  std::string cordon(std::string_view hostId) const;  // /zroot/cordons/<hostId>
  // Types an operator paused (servicesctl pause): persistent, made with the first pause.
  std::string pausedDir() const;                      // /zroot/paused
  std::string paused(std::string_view type) const;    // /zroot/paused/<type>
  // Planned handovers in progress (servicesctl switchover): one per logical service at most.
  std::string switchoversDir() const;  // /zroot/switchovers
  // /zroot/switchovers/<type>_logicalService<10 digits> (named like its create-lock)
  std::string switchover(const LogicalServiceId& id) const;
  // Flat placement (docs/scaling.md): the holder of a type's config monitor names the hosts that
  // may place a replica of a logical service, in one ephemeral node per host and type in the
  // host's inbox, which that host alone watches. An inbox is made by its host when it starts.
  std::string assignmentsDir() const;                        // /zroot/assignments
  std::string hostAssignments(std::string_view hostId) const;  // /zroot/assignments/<hostId>
  // /zroot/assignments/<hostId>/<type>: the logical services of `type` the host is named for
  // (config/assignment_data.hpp).
  std::string assignments(std::string_view hostId, std::string_view type) const;
  std::string persistentServicesDir(std::string_view type) const;  // /zroot/services/<type>
  std::string persistentService(std::string_view type,
                                std::string_view uuid) const;  // /zroot/services/<type>/<uuid>

  // Persistent nodes that must exist before anything else, parents first: root, config, locks,
  // locks/serviceConfigMonitor, locks/createPhysicalService, hosts, events, services.
  std::vector<std::string> keyZnodes() const;
  // Ancestors of the root, outermost first ("/a" for root "/a/b"); empty for a one-level root.
  std::vector<std::string> rootAncestors() const;

  // Child names, as getChildren returns them. Builders throw std::invalid_argument for a component
  // that is not valid (type name, uuid, host id, sequence), so no input can escape its directory.
  static std::string logicalServiceName(std::int64_t sequence);
  static std::string physicalServiceName(std::string_view uuid);
  static std::string createLockName(const LogicalServiceId& id);

  // Parsers of child names: nullopt for anything that is not exactly such a name.
  static std::optional<std::int64_t> parseLogicalServiceName(std::string_view childName);
  static std::optional<std::string> parsePhysicalServiceName(
      std::string_view childName);  // -> uuid
  static std::optional<std::string> parsePersistentServiceName(
      std::string_view childName);  // -> uuid
  // "<type>_logicalService<digits>"; read from the right because type names may contain '_'.
  static std::optional<LogicalServiceId> parseCreateLockName(std::string_view childName);
  static std::optional<LockChildName> parseLockChildName(std::string_view childName);
  static std::optional<std::int64_t> parseEventName(std::string_view childName);
  // A child of locks/resources/: the lock's name, when it is a valid one.
  static std::optional<std::string> parseResourceLockName(std::string_view childName);

  // Parsers of whole paths under this root.
  std::optional<std::string> parseServiceTypePath(std::string_view path) const;
  std::optional<LogicalServiceId> parseLogicalServicePath(std::string_view path) const;
  std::optional<PhysicalServiceId> parsePhysicalServicePath(std::string_view path) const;

  // "/a/b/c" -> "c".
  static std::string_view childName(std::string_view path);

 private:
  std::string root_;
};

}  // namespace sm::config

#include "config/layout.hpp"

#include <fmt/format.h>

#include <charconv>
#include <stdexcept>

#include "config/names.hpp"
#include "config/utf8.hpp"

namespace sm::config {
namespace {

// Every name of the tree, spelled once.
constexpr std::string_view kConfig = "config";
constexpr std::string_view kLogicalService = "logicalService";
constexpr std::string_view kPhysicalServices = "physicalServices";
constexpr std::string_view kPhysicalService = "physicalService";
constexpr std::string_view kElection = "election";
constexpr std::string_view kStatus = "status";
constexpr std::string_view kLocks = "locks";
constexpr std::string_view kServiceConfigMonitor = "serviceConfigMonitor";
constexpr std::string_view kCreatePhysicalService = "createPhysicalService";
constexpr std::string_view kEventsRetention = "eventsRetention";
constexpr std::string_view kResources = "resources";
constexpr std::string_view kHosts = "hosts";
constexpr std::string_view kEvents = "events";
constexpr std::string_view kServices = "services";
constexpr std::string_view kCordons = "cordons";
constexpr std::string_view kPaused = "paused";
constexpr std::string_view kSwitchovers = "switchovers";
constexpr std::string_view kAssignments = "assignments";
constexpr std::string_view kEventPrefix = Layout::kEventChildPrefix;
constexpr char kCreateLockSeparator = '_';

constexpr std::size_t kMaxZnodePathBytes = 4096;
constexpr std::size_t kMaxZrootBytes = 512;

std::string join(std::string_view parent, std::string_view child) {
  return fmt::format("{}/{}", parent, child);
}

template <class Check>
std::string_view checked(std::string_view what, std::string_view value, Check check) {
  if (auto problem = check(value)) {
    throw std::invalid_argument(fmt::format("invalid {} \"{}\": {}", what, value, *problem));
  }
  return value;
}

std::string_view checkedType(std::string_view type) {
  return checked("service type name", type, checkServiceTypeName);
}

std::string sequenceText(std::int64_t sequence) {
  if (sequence < 0 || sequence > kMaxSequence) {
    throw std::invalid_argument(fmt::format("invalid sequence number {}", sequence));
  }
  return fmt::format("{:0{}}", sequence, kSequenceDigits);
}

// Exactly kSequenceDigits digits.
std::optional<std::int64_t> parseSequence(std::string_view digits) {
  if (digits.size() != kSequenceDigits) return std::nullopt;
  std::int64_t value = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  std::from_chars(digits.data(), digits.data() + digits.size(), value);
  return value;
}

std::optional<std::int64_t> parsePrefixed(std::string_view name, std::string_view prefix) {
  if (!name.starts_with(prefix)) return std::nullopt;
  return parseSequence(name.substr(prefix.size()));
}

// Decodes one UTF-8 code point (the input is known to be valid UTF-8).
char32_t decodeAt(std::string_view s, std::size_t& i) {
  const auto c = static_cast<unsigned char>(s[i]);
  int extra = c < 0x80 ? 0 : c < 0xE0 ? 1 : c < 0xF0 ? 2 : 3;
  char32_t cp = extra == 0 ? c : extra == 1 ? (c & 0x1F) : extra == 2 ? (c & 0x0F) : (c & 0x07);
  for (int k = 0; k < extra; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[++i]) & 0x3F);
  ++i;
  return cp;
}

// The characters ZooKeeper's PathUtils.validatePath refuses.
bool refusedByZooKeeper(char32_t cp) {
  return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || (cp >= 0xD800 && cp <= 0xF8FF) ||
         (cp >= 0xFFF0 && cp <= 0xFFFF);
}

// Splits "/a/b/c" below root into components; nullopt when path is not under root.
std::optional<std::vector<std::string_view>> componentsBelow(std::string_view root,
                                                             std::string_view path) {
  if (!path.starts_with(root) || path.size() <= root.size() || path[root.size()] != '/')
    return std::nullopt;
  std::vector<std::string_view> parts;
  std::string_view rest = path.substr(root.size() + 1);
  while (true) {
    const auto slash = rest.find('/');
    parts.push_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return parts;
}

}  // namespace

std::optional<std::string> checkZnodePath(std::string_view path) {
  if (path.empty()) return "must not be empty";
  if (path[0] != '/') return "must be absolute (start with '/')";
  if (path.size() > kMaxZnodePathBytes)
    return fmt::format("must be at most {} bytes", kMaxZnodePathBytes);
  if (path == "/") return std::nullopt;
  if (path.back() == '/') return "must not end with '/'";
  if (findInvalidUtf8(path)) return "must be valid UTF-8";
  for (std::size_t i = 0; i < path.size();) {
    if (refusedByZooKeeper(decodeAt(path, i)))
      return "contains a character ZooKeeper does not allow";
  }
  std::size_t start = 1;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    const auto part = path.substr(start, end - start);
    if (part.empty()) return "must not contain an empty component (\"//\")";
    if (part == "." || part == "..") return "must not contain \".\" or \"..\" components";
    start = end + 1;
  }
  return std::nullopt;
}

std::optional<std::string> checkZroot(std::string_view zroot) {
  if (auto problem = checkZnodePath(zroot)) return problem;
  if (zroot == "/")
    return "must not be \"/\" itself: give the federation its own node, e.g. /servicesmgr";
  if (zroot.size() > kMaxZrootBytes) return fmt::format("must be at most {} bytes", kMaxZrootBytes);
  if (zroot == "/zookeeper" || zroot.starts_with("/zookeeper/"))
    return "must not be under /zookeeper (reserved)";
  return std::nullopt;
}

Layout::Layout(std::string zroot) : root_(std::move(zroot)) {
  if (auto problem = checkZroot(root_))
    throw std::invalid_argument(fmt::format("invalid root \"{}\": {}", root_, *problem));
}

std::string Layout::configDir() const {
  return join(root_, kConfig);
}
std::string Layout::serviceType(std::string_view type) const {
  return join(configDir(), checkedType(type));
}
std::string Layout::logicalServicePrefix(std::string_view type) const {
  return join(serviceType(type), kLogicalService);
}
std::string Layout::logicalService(const LogicalServiceId& id) const {
  return join(serviceType(id.type), logicalServiceName(id.sequence));
}
std::string Layout::physicalServicesDir(const LogicalServiceId& id) const {
  return join(logicalService(id), kPhysicalServices);
}
std::string Layout::physicalService(const PhysicalServiceId& id) const {
  return join(physicalServicesDir(id.logical), physicalServiceName(id.uuid));
}
std::string Layout::electionDir(const LogicalServiceId& id) const {
  return join(logicalService(id), kElection);
}
std::string Layout::electionMemberPrefix(const PhysicalServiceId& id) const {
  return fmt::format("{}/{}{}-", electionDir(id.logical), kLockChildPrefix,
                     checked("uuid", id.uuid, checkUuid));
}
std::string Layout::electionMember(const LogicalServiceId& id, std::string_view child) const {
  if (!parseLockChildName(child)) {
    throw std::invalid_argument("invalid election member name: " + std::string(child));
  }
  return join(electionDir(id), child);
}
std::string Layout::status(const LogicalServiceId& id) const {
  return join(logicalService(id), kStatus);
}
std::string Layout::locksDir() const {
  return join(root_, kLocks);
}
std::string Layout::serviceConfigMonitorLocksDir() const {
  return join(locksDir(), kServiceConfigMonitor);
}
std::string Layout::serviceConfigMonitorLock(std::string_view type) const {
  return join(serviceConfigMonitorLocksDir(), checkedType(type));
}
std::string Layout::createPhysicalServiceLocksDir() const {
  return join(locksDir(), kCreatePhysicalService);
}
std::string Layout::createPhysicalServiceLock(const LogicalServiceId& id) const {
  return join(createPhysicalServiceLocksDir(), createLockName(id));
}
std::string Layout::eventsRetentionLock() const {
  return join(locksDir(), kEventsRetention);
}
std::string Layout::resourceLocksDir() const {
  return join(locksDir(), kResources);
}
std::string Layout::resourceLock(std::string_view name) const {
  return join(resourceLocksDir(), checked("lock name", name, checkLockName));
}
std::optional<std::string> Layout::parseResourceLockName(std::string_view childName) {
  if (checkLockName(childName)) return std::nullopt;
  return std::string(childName);
}
std::string Layout::hostsDir() const {
  return join(root_, kHosts);
}
std::string Layout::host(std::string_view hostId) const {
  return join(hostsDir(), checked("host id", hostId, checkHostId));
}
std::string Layout::eventsDir() const {
  return join(root_, kEvents);
}
std::string Layout::eventPrefix() const {
  return join(eventsDir(), kEventPrefix);
}

std::string Layout::servicesDir() const {
  return join(root_, kServices);
}
std::string Layout::persistentServicesDir(std::string_view type) const {
  return join(servicesDir(), checkedType(type));
}
std::string Layout::persistentService(std::string_view type, std::string_view uuid) const {
  return join(persistentServicesDir(type), checked("uuid", uuid, checkUuid));
}

std::string Layout::cordonsDir() const {
  return join(root_, kCordons);
}
std::string Layout::cordon(std::string_view hostId) const {
  return join(cordonsDir(), checked("host id", hostId, checkHostId));
}

std::string Layout::pausedDir() const {
  return join(root_, kPaused);
}
std::string Layout::paused(std::string_view type) const {
  return join(pausedDir(), checkedType(type));
}
std::string Layout::switchoversDir() const {
  return join(root_, kSwitchovers);
}
std::string Layout::switchover(const LogicalServiceId& id) const {
  return join(switchoversDir(), createLockName(id));
}

std::string Layout::assignmentsDir() const {
  return join(root_, kAssignments);
}
std::string Layout::hostAssignments(std::string_view hostId) const {
  return join(assignmentsDir(), checked("host id", hostId, checkHostId));
}
std::string Layout::assignments(std::string_view hostId, std::string_view type) const {
  return join(hostAssignments(hostId), checked("service type", type, checkServiceTypeName));
}

std::vector<std::string> Layout::keyZnodes() const {
  return {root_,
          configDir(),
          locksDir(),
          serviceConfigMonitorLocksDir(),
          createPhysicalServiceLocksDir(),
          hostsDir(),
          eventsDir(),
          servicesDir()};
}

std::vector<std::string> Layout::rootAncestors() const {
  std::vector<std::string> out;
  for (auto slash = root_.find('/', 1); slash != std::string::npos;
       slash = root_.find('/', slash + 1)) {
    out.push_back(root_.substr(0, slash));
  }
  return out;
}

std::string Layout::logicalServiceName(std::int64_t sequence) {
  return fmt::format("{}{}", kLogicalService, sequenceText(sequence));
}

std::string Layout::physicalServiceName(std::string_view uuid) {
  return fmt::format("{}{}", kPhysicalService, checked("uuid", uuid, checkUuid));
}

std::string Layout::createLockName(const LogicalServiceId& id) {
  return fmt::format("{}{}{}", checkedType(id.type), kCreateLockSeparator,
                     logicalServiceName(id.sequence));
}

std::optional<std::int64_t> Layout::parseLogicalServiceName(std::string_view childName) {
  return parsePrefixed(childName, kLogicalService);
}

std::optional<std::string> Layout::parsePhysicalServiceName(std::string_view childName) {
  if (!childName.starts_with(kPhysicalService)) return std::nullopt;
  const auto uuid = childName.substr(kPhysicalService.size());
  if (!isValidUuid(uuid)) return std::nullopt;
  return std::string(uuid);
}

std::optional<std::string> Layout::parsePersistentServiceName(std::string_view childName) {
  if (!isValidUuid(childName)) return std::nullopt;
  return std::string(childName);
}

std::optional<LogicalServiceId> Layout::parseCreateLockName(std::string_view childName) {
  const std::string marker = fmt::format("{}{}", kCreateLockSeparator, kLogicalService);
  const auto at = childName.rfind(marker);
  if (at == std::string_view::npos) return std::nullopt;
  const auto type = childName.substr(0, at);
  const auto sequence = parseSequence(childName.substr(at + marker.size()));
  if (!sequence || !isValidServiceTypeName(type)) return std::nullopt;
  return LogicalServiceId{std::string(type), *sequence};
}

std::optional<LockChildName> Layout::parseLockChildName(std::string_view childName) {
  if (!childName.starts_with(kLockChildPrefix) ||
      childName.size() < kLockChildPrefix.size() + kSequenceDigits) {
    return std::nullopt;
  }
  const auto sequence = parseSequence(childName.substr(childName.size() - kSequenceDigits));
  if (!sequence) return std::nullopt;
  auto middle = childName.substr(kLockChildPrefix.size(),
                                 childName.size() - kLockChildPrefix.size() - kSequenceDigits);
  if (middle.empty()) return LockChildName{"", *sequence};
  if (!middle.ends_with('-')) return std::nullopt;
  middle.remove_suffix(1);
  if (!isValidUuid(middle)) return std::nullopt;
  return LockChildName{std::string(middle), *sequence};
}

std::optional<std::int64_t> Layout::parseEventName(std::string_view childName) {
  return parsePrefixed(childName, kEventPrefix);
}

std::optional<std::string> Layout::parseServiceTypePath(std::string_view path) const {
  auto parts = componentsBelow(configDir(), path);
  if (!parts || parts->size() != 1 || !isValidServiceTypeName((*parts)[0])) return std::nullopt;
  return std::string((*parts)[0]);
}

std::optional<LogicalServiceId> Layout::parseLogicalServicePath(std::string_view path) const {
  auto parts = componentsBelow(configDir(), path);
  if (!parts || parts->size() != 2 || !isValidServiceTypeName((*parts)[0])) return std::nullopt;
  auto sequence = parseLogicalServiceName((*parts)[1]);
  if (!sequence) return std::nullopt;
  return LogicalServiceId{std::string((*parts)[0]), *sequence};
}

std::optional<PhysicalServiceId> Layout::parsePhysicalServicePath(std::string_view path) const {
  auto parts = componentsBelow(configDir(), path);
  if (!parts || parts->size() != 4 || (*parts)[2] != kPhysicalServices) return std::nullopt;
  // The logical service is the path without its last two components.
  const auto logicalEnd = path.rfind('/', path.rfind('/') - 1);
  auto logical = parseLogicalServicePath(path.substr(0, logicalEnd));
  auto uuid = parsePhysicalServiceName((*parts)[3]);
  if (!logical || !uuid) return std::nullopt;
  return PhysicalServiceId{*logical, *uuid};
}

std::string_view Layout::childName(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace sm::config

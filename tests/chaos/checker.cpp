#include "tests/chaos/checker.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>
#include <tuple>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "config/physical_service_data.hpp"
#include "services/role.hpp"
#include "tests/daemon/support/daemon_process.hpp"

namespace sm::test::chaos {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::string_view kRoleSuffix = ".role.json";
constexpr std::string_view kInstancesDir = "instances";
const std::string kRestarting(config::physicalStateName(config::PhysicalState::Restarting));

std::vector<std::string> splitNul(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\0', start);
    if (end == std::string::npos) end = text.size();
    parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

std::optional<pid_t> peerPid(const services::RoleInfo& role, const std::string& uuid) {
  auto peer = nlohmann::json::parse(role.masterPeerJson, nullptr, false);
  if (!peer.is_object() || !peer.contains("pid") || !peer["pid"].is_number_integer()) {
    return std::nullopt;
  }
  if (peer.contains("uuid") && peer["uuid"].is_string() && peer["uuid"] != uuid)
    return std::nullopt;
  return static_cast<pid_t>(peer["pid"].get<long long>());
}

std::string describeHosts(const std::vector<HostState>& hosts) {
  std::string out;
  for (const auto& h : hosts) {
    out += fmt::format(" [{} daemon pid {} {}{} session {}]", h.hostId, h.daemonPid,
                       h.daemonAlive ? "alive" : "dead", h.daemonFrozen ? " frozen" : "",
                       h.session ? fmt::format("0x{:x}", *h.session) : "?");
  }
  return out;
}

}  // namespace

std::filesystem::path roleFileOf(const std::filesystem::path& workDir, const std::string& uuid) {
  return workDir / kInstancesDir / (uuid + std::string(kRoleSuffix));
}

Checker::Checker(std::shared_ptr<zk::Session> session, CheckerOptions options)
    : session_(std::move(session)), options_(std::move(options)), layout_(options_.zroot) {
  thread_ = std::thread(&Checker::run, this);
}

Checker::~Checker() {
  stop();
}

void Checker::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

std::vector<Violation> Checker::violations() const {
  std::lock_guard lock(mutex_);
  return violations_;
}

void Checker::record(const std::string& kind, const std::string& what, const std::string& once,
                     bool asNote) {
  std::lock_guard lock(mutex_);
  if (!once.empty() && !reported_.insert(kind + " " + once).second) return;
  (asNote ? notes_ : violations_).push_back({round_.load(), kind, what});
}

std::vector<Violation> Checker::notes() const {
  std::lock_guard lock(mutex_);
  return notes_;
}

bool Checker::recentlyForcedClosed(const std::string& hostId) const {
  std::lock_guard lock(mutex_);
  auto it = forcedClose_.find(hostId);
  return it != forcedClose_.end() && Clock::now() - it->second < options_.forcedCloseAllowance;
}

void Checker::noteForcedClose(const std::string& hostId) {
  std::lock_guard lock(mutex_);
  forcedClose_[hostId] = Clock::now();
}

void Checker::run() {
  while (!stop_) {
    sampleRoles();
    if (Clock::now() - lastTree_ >= options_.treePeriod) {
      lastTree_ = Clock::now();
      sampleTree();
    }
    std::this_thread::sleep_for(options_.rolePeriod);  // the sampling period
  }
}

std::optional<Checker::Process> Checker::processOf(pid_t pid) const {
  const auto argv = splitNul(readWholeFile(fmt::format("/proc/{}/cmdline", pid)));
  if (argv.empty() || argv[0] != options_.demoBinary) return std::nullopt;
  std::map<std::string, std::string> env;
  for (const auto& item : splitNul(readWholeFile(fmt::format("/proc/{}/environ", pid)))) {
    const auto eq = item.find('=');
    if (eq != std::string::npos) env[item.substr(0, eq)] = item.substr(eq + 1);
  }
  if (env["SM_ZROOT"] != options_.zroot) return std::nullopt;
  if (!pidAlive(pid)) return std::nullopt;
  Process p;
  p.pid = pid;
  p.ppid = parentPid(pid);
  p.uuid = env["SM_PHYSICAL_ID"];
  // SM_LOGICAL_SERVICE may be the znode's path: its last component is the logical service's name.
  std::string logical = env["SM_LOGICAL_SERVICE"];
  if (auto slash = logical.rfind('/'); slash != std::string::npos) logical.erase(0, slash + 1);
  p.logical = env["SM_SERVICE_TYPE"] + "/" + logical;
  p.host = env["SM_HOST_ID"];
  return p;
}

std::vector<Checker::Process> Checker::scanProcesses() const {
  std::vector<Process> result;
  std::error_code ec;
  for (std::filesystem::directory_iterator it("/proc", ec), end; !ec && it != end;
       it.increment(ec)) {
    const auto name = it->path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    if (auto p = processOf(static_cast<pid_t>(std::stol(name)))) result.push_back(*p);
  }
  return result;
}

void Checker::sampleRoles() {
  struct Seen {
    std::string uuid;
    std::filesystem::path file;
    services::RoleInfo role;
    Process process;
  };
  std::map<std::string, std::vector<Seen>> byLogical;
  const auto hosts = options_.hosts();
  for (const auto& host : hosts) {
    std::error_code ec;
    std::filesystem::directory_iterator it(host.workDir / kInstancesDir, ec);
    if (ec) continue;
    for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
      if (ec) break;
      const std::string name = it->path().filename().string();
      if (name.size() <= kRoleSuffix.size() || !name.ends_with(kRoleSuffix)) continue;
      auto role = services::readRoleFile(it->path().string());
      if (!role || !services::isMasterNow(*role)) continue;
      const std::string uuid = name.substr(0, name.size() - kRoleSuffix.size());
      std::optional<Process> process;
      {
        std::lock_guard lock(mutex_);
        if (auto k = known_.find(uuid); k != known_.end()) process = k->second;
      }
      // An instance restarted in place keeps its uuid but has a new process: a dead known one is
      // looked up again at once rather than at the next tree read.
      if (process && !pidAlive(process->pid)) process.reset();
      if (!process) {
        // A master's role file names its own process; its environment says which logical
        // service it belongs to.
        auto pid = peerPid(*role, uuid);
        if (!pid) continue;
        process = processOf(*pid);
        if (!process || process->uuid != uuid) continue;
        std::lock_guard lock(mutex_);
        known_[uuid] = *process;
      }
      if (!pidAlive(process->pid)) continue;
      byLogical[process->logical].push_back({uuid, it->path(), *role, *process});
    }
  }
  for (auto& [logical, masters] : byLogical) {
    if (masters.size() >= 2) {
      // The files were read one after the other: the first may have been told "unknown" and the
      // second "master" in between (a clean handover). Read the first again: if it still says
      // master with the same epoch, its lease still runs and its process lives, it was master
      // all along, including when the other file was read.
      const Seen& first = masters.front();
      auto again = services::readRoleFile(first.file.string());
      if (again && services::isMasterNow(*again) && again->epoch == first.role.epoch &&
          pidAlive(first.process.pid)) {
        const auto now = services::monotonicNowNs();
        std::string what = fmt::format("two masters in {}:", logical);
        for (const auto& m : masters) {
          what += fmt::format(
              " [{} host={} pid={} epoch={} lease left {} ms]", m.uuid, m.process.host,
              m.process.pid, m.role.epoch,
              (static_cast<long long>(m.role.leaseUntilMonoNs) - static_cast<long long>(now)) /
                  1000000);
        }
        std::vector<std::string> uuids;
        for (const auto& m : masters) uuids.push_back(m.uuid);
        std::sort(uuids.begin(), uuids.end());
        bool forced = false;
        for (const auto& m : masters) forced |= recentlyForcedClosed(m.process.host);
        record(forced ? "two-masters-forced-close" : "two-masters",
               what + ";" + describeHosts(hosts),
               logical + fmt::format(" {}", fmt::join(uuids, " ")), forced);
      }
    }
    for (const auto& m : masters) {
      std::string what;
      {
        std::lock_guard lock(mutex_);
        auto& top = topEpoch_[logical];
        if (m.role.epoch > top.first) {
          top = {m.role.epoch, m.uuid};
        } else if (m.role.epoch < top.first && m.uuid != top.second) {
          what = fmt::format(
              "epoch went back in {}: {} (host {}) is master with epoch {} after {} had epoch {}",
              logical, m.uuid, m.process.host, m.role.epoch, top.second, top.first);
        }
      }
      if (!what.empty()) {
        const bool forced = recentlyForcedClosed(m.process.host);
        record(forced ? "epoch-regression-forced-close" : "epoch-regression", what,
               logical + " " + m.uuid, forced);
      }
    }
  }
  ++roleSamples_;
}

bool Checker::heldTooLong(std::map<std::string, Since>& table, const std::string& key, bool holds,
                          bool counting, milliseconds grace, Clock::time_point now) {
  if (!holds) {
    table.erase(key);
    return false;
  }
  auto [it, fresh] = table.try_emplace(key);
  auto& since = it->second;
  if (!fresh && counting) {
    since.held += std::chrono::duration_cast<milliseconds>(now - since.last);
  }
  since.last = now;
  if (since.held > grace && !since.reported) {
    since.reported = true;
    return true;
  }
  return false;
}

void Checker::sampleTree() {
  TreeView tree;
  try {
    tree = readTreeView(*session_, layout_);
  } catch (const std::exception&) {
    return;  // the checker's own session is cut off (a server stopped): judge on the next read
  }
  const auto processes = scanProcesses();
  const auto hosts = options_.hosts();
  const auto now = Clock::now();
  std::map<std::string, const HostState*> hostById;
  for (const auto& h : hosts) hostById[h.hostId] = &h;
  std::map<std::string, const RegisteredInstance*> registered;  // by uuid
  for (const auto& [name, type] : tree.types) {
    for (const auto& [seq, logical] : type.logical) {
      for (const auto& [uuid, i] : logical.instances) registered[uuid] = &i;
    }
  }
  std::vector<std::tuple<std::string, std::string, std::string>> found;  // kind, what, once
  auto add = [&](const std::string& kind, const std::string& what, const std::string& once = "") {
    found.emplace_back(kind, what, once);
  };
  std::set<std::string> seenProcesses, seenGhosts;
  std::map<std::string, std::vector<const Process*>> byIdentity;
  for (const auto& p : processes) byIdentity[p.uuid].push_back(&p);
  for (const auto& [uuid, running] : byIdentity) {
    if (running.size() < 2) continue;
    std::string what = fmt::format("{} live processes of identity {}:", running.size(), uuid);
    std::string once = uuid;
    for (const auto* p : running) {
      what += fmt::format(" [pid {} on {} (parent {})]", p->pid, p->host, p->ppid);
      once += fmt::format(" {}", p->pid);
    }
    add("two-processes", what, once);
  }
  {
    std::lock_guard lock(mutex_);
    for (const auto& p : processes) {
      known_[p.uuid] = p;
      const HostState* host = hostById.count(p.host) ? hostById[p.host] : nullptr;
      const bool daemonGone = host == nullptr || !host->daemonAlive || p.ppid != host->daemonPid;
      seenProcesses.insert(p.uuid);
      if (heldTooLong(orphans_, p.uuid, daemonGone, true, options_.orphanGrace, now)) {
        add("orphan", fmt::format("process {} ({} of {} on {}) runs {} ms after its daemon "
                                  "ended (parent {});{}",
                                  p.pid, p.uuid, p.logical, p.host, orphans_[p.uuid].held.count(),
                                  p.ppid, describeHosts(hosts)));
      }
      const bool frozen = host != nullptr && host->daemonFrozen;
      if (heldTooLong(unregistered_, p.uuid, registered.count(p.uuid) == 0, !frozen,
                      options_.unregisteredGrace, now)) {
        add("unregistered", fmt::format("process {} ({} of {} on {}) runs unregistered in the tree "
                                        "for {} ms while its daemon runs;{}",
                                        p.pid, p.uuid, p.logical, p.host,
                                        unregistered_[p.uuid].held.count(), describeHosts(hosts)));
      }
    }
    auto ownedByLiveSession = [&](const std::string& hostId, std::int64_t owner) {
      auto it = hostById.find(hostId);
      return it != hostById.end() && it->second->daemonAlive && it->second->session &&
             *it->second->session == owner;
    };
    for (const auto& [name, type] : tree.types) {
      for (const auto& [seq, logical] : type.logical) {
        for (const auto& [uuid, i] : logical.instances) {
          if (!i.decoded) continue;
          // Restarting in place (pid 0): no process on purpose, its daemon's session is enough.
          const bool restarting = i.state == kRestarting;
          const bool ghost = !ownedByLiveSession(i.host, i.owner) ||
                             (!restarting && !pidAlive(static_cast<pid_t>(i.pid)));
          seenGhosts.insert(i.path);
          if (heldTooLong(ghosts_, i.path, ghost, true, options_.ghostGrace, now)) {
            add("ghost", fmt::format("{} (host {}, {}, pid {} {}, owner 0x{:x}) outlived its "
                                     "session or process for {} ms;{}",
                                     i.path, i.host, i.state, i.pid,
                                     pidAlive(static_cast<pid_t>(i.pid)) ? "alive" : "gone",
                                     i.owner, ghosts_[i.path].held.count(), describeHosts(hosts)));
          }
        }
        for (const auto& e : logical.election) {
          if (!e.decoded) continue;
          auto instance = logical.instances.find(e.physical);
          const bool ghost = !ownedByLiveSession(e.host, e.owner) ||
                             instance == logical.instances.end() ||
                             !pidAlive(static_cast<pid_t>(instance->second.pid));
          seenGhosts.insert(e.path);
          if (heldTooLong(ghosts_, e.path, ghost, true, options_.ghostGrace, now)) {
            add("ghost",
                fmt::format("{} (host {}, physical {} {}, owner 0x{:x}) outlived its "
                            "session or instance for {} ms;{}",
                            e.path, e.host, e.physical,
                            instance == logical.instances.end() ? "unregistered" : "registered",
                            e.owner, ghosts_[e.path].held.count(), describeHosts(hosts)));
          }
        }
      }
    }
    // Keys not seen in this read are over.
    for (auto* table : {&orphans_, &unregistered_}) {
      std::erase_if(*table, [&](const auto& kv) { return !seenProcesses.count(kv.first); });
    }
    std::erase_if(ghosts_, [&](const auto& kv) { return !seenGhosts.count(kv.first); });
  }
  for (const auto& spec : options_.types) {
    if (spec.maxPerHost <= 0) continue;
    auto type = tree.types.find(spec.name);
    if (type == tree.types.end()) continue;
    for (const auto& [seq, logical] : type->second.logical) {
      std::map<std::string, std::vector<std::string>> perHost;
      for (const auto& [uuid, i] : logical.instances) {
        if (i.decoded && pidAlive(static_cast<pid_t>(i.pid))) {
          perHost[i.host].push_back(fmt::format("{} pid {}", uuid, i.pid));
        }
      }
      for (const auto& [host, list] : perHost) {
        if (static_cast<int>(list.size()) <= spec.maxPerHost) continue;
        std::string what = fmt::format("{}: {} live replicas on {} (maxPerHost {}):", logical.key,
                                       list.size(), host, spec.maxPerHost);
        for (const auto& item : list) what += " [" + item + "]";
        add("constraint", what, logical.key + " " + host);
      }
    }
  }
  for (const auto& [kind, what, once] : found) record(kind, what, once);
  ++treeSamples_;
}

std::string Checker::convergenceProblem() {
  TreeView tree;
  try {
    tree = readTreeView(*session_, layout_);
  } catch (const std::exception& e) {
    return std::string("cannot read the tree: ") + e.what();
  }
  std::map<std::string, std::filesystem::path> workDirs;
  for (const auto& h : options_.hosts()) workDirs[h.hostId] = h.workDir;
  std::set<std::string> registered;
  for (const auto& spec : options_.types) {
    auto type = tree.types.find(spec.name);
    if (type == tree.types.end()) return spec.name + " is not in the tree";
    if (!type->second.decoded) return spec.name + ": its spec does not decode";
    if (static_cast<int>(type->second.logical.size()) != spec.services) {
      return fmt::format("{} has {} logical services, want {}", spec.name,
                         type->second.logical.size(), spec.services);
    }
    for (const auto& [seq, logical] : type->second.logical) {
      const auto& key = logical.key;
      if (static_cast<int>(logical.instances.size()) != spec.replicas) {
        return fmt::format("{} has {} instances, want {}", key, logical.instances.size(),
                           spec.replicas);
      }
      std::set<std::string> hostsUsed;
      for (const auto& [uuid, i] : logical.instances) {
        registered.insert(uuid);
        if (!i.decoded) return key + ": instance " + uuid + " does not decode";
        if (i.state != "running") {
          return fmt::format("{}: instance {} on {} is {} (pid {})", key, uuid, i.host, i.state,
                             i.pid);
        }
        if (!pidAlive(static_cast<pid_t>(i.pid))) {
          return fmt::format("{}: instance {} pid {} is gone", key, uuid, i.pid);
        }
        hostsUsed.insert(i.host);
      }
      if (spec.maxPerHost == 1 && static_cast<int>(hostsUsed.size()) != spec.replicas) {
        return fmt::format("{}: replicas on {} distinct hosts, want {}", key, hostsUsed.size(),
                           spec.replicas);
      }
      if (static_cast<int>(logical.election.size()) != spec.replicas) {
        return fmt::format("{}: {} election members, want {}", key, logical.election.size(),
                           spec.replicas);
      }
      for (size_t n = 0; n < logical.election.size(); ++n) {
        const auto& e = logical.election[n];
        auto instance = logical.instances.find(e.physical);
        if (instance == logical.instances.end()) {
          return key + ": election member " + e.path + " stands for no registered instance";
        }
        auto dir = workDirs.find(instance->second.host);
        if (dir == workDirs.end()) return key + ": instance on unknown host " + e.host;
        const auto file = roleFileOf(dir->second, e.physical);
        auto role = services::readRoleFile(file.string());
        if (!role) return key + ": no readable role file " + file.string();
        const auto effective = services::effectiveRole(*role);
        if (n == 0) {
          if (effective != services::Role::Master || role->epoch != e.sequence) {
            return fmt::format("{}: master {} role file says {} epoch {} (election sequence {})",
                               key, e.physical, services::roleName(effective), role->epoch,
                               e.sequence);
          }
        } else if (effective != services::Role::Secondary) {
          return fmt::format("{}: secondary {} role file says {}", key, e.physical,
                             services::roleName(effective));
        }
      }
    }
  }
  for (const auto& p : scanProcesses()) {
    if (!registered.count(p.uuid)) {
      return fmt::format("process {} ({} of {} on {}) runs but is not registered", p.pid, p.uuid,
                         p.logical, p.host);
    }
  }
  return "";
}

std::string Checker::dump() {
  std::string out = "hosts:" + describeHosts(options_.hosts()) + "\n";
  TreeView tree;
  try {
    tree = readTreeView(*session_, layout_);
  } catch (const std::exception& e) {
    return out + "cannot read the tree: " + e.what() + "\n";
  }
  for (const auto& [id, owner] : tree.hostOwners) {
    out += fmt::format("  hosts/{} session 0x{:x}\n", id, owner);
  }
  std::map<std::string, std::filesystem::path> workDirs;
  for (const auto& h : options_.hosts()) workDirs[h.hostId] = h.workDir;
  for (const auto& [name, type] : tree.types) {
    out += fmt::format("type {}{}\n", name, type.decoded ? "" : " (undecodable)");
    for (const auto& [seq, logical] : type.logical) {
      out += "  " + logical.key + "\n";
      for (const auto& [uuid, i] : logical.instances) {
        std::string role = "(no role file)";
        if (workDirs.count(i.host)) {
          if (auto r = services::readRoleFile(roleFileOf(workDirs[i.host], uuid).string())) {
            role = fmt::format("{} (written {}) epoch {}",
                               services::roleName(services::effectiveRole(*r)),
                               services::roleName(r->role), r->epoch);
          }
        }
        out += fmt::format(
            "    instance {} host={} pid={} {} state={} owner=0x{:x} role: {}\n", uuid, i.host,
            i.pid, pidAlive(static_cast<pid_t>(i.pid)) ? "alive" : "gone", i.state, i.owner, role);
      }
      for (const auto& e : logical.election) {
        out += fmt::format("    election seq={} physical={} host={} owner=0x{:x}\n", e.sequence,
                           e.physical, e.host, e.owner);
      }
    }
  }
  out += "processes:\n";
  for (const auto& p : scanProcesses()) {
    out += fmt::format("  pid {} parent {} {} of {} on {}\n", p.pid, p.ppid, p.uuid, p.logical,
                       p.host);
  }
  return out;
}

}  // namespace sm::test::chaos

#include "bench/daemon/cluster.hpp"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <deque>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>

#include "manager/model/tree_reader.hpp"
#include "manager/zkserver/four_letter_word.hpp"
#include "tests/daemon/support/demo_type.hpp"

namespace sm::bench::daemon {

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// Fields of /proc/<pid>/stat after the command name: state is [0], ppid [1], utime [11], stime
// [12].
std::vector<std::string> statFields(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/stat", pid));
  std::string text;
  std::getline(in, text);
  std::vector<std::string> fields;
  const auto close = text.rfind(')');
  if (close == std::string::npos) return fields;
  std::istringstream rest(text.substr(close + 1));
  for (std::string f; rest >> f;) fields.push_back(f);
  return fields;
}

std::vector<pid_t> allPids() {
  std::vector<pid_t> pids;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const auto name = entry.path().filename().string();
    if (!name.empty() && std::all_of(name.begin(), name.end(), ::isdigit)) {
      pids.push_back(static_cast<pid_t>(std::stol(name)));
    }
  }
  return pids;
}

}  // namespace

Child::Child(const std::vector<std::string>& args, const std::filesystem::path& log)
    : log_(log),
      process_(args, log,
               zkserver::SpawnOptions{.ownProcessGroup = false,
                                      .searchPath = false,
                                      .execFailure = "sm-bench-daemon: exec failed\n"}),
      pid_(process_.pid()) {}

Child::~Child() {
  process_.kill();
}

int Child::terminate(std::chrono::milliseconds grace) {
  if (!process_.running()) return process_.exitCode().value_or(-1);
  process_.signal(SIGTERM);  // no SIGCONT: the bench does not freeze its children
  if (auto code = process_.waitExit(grace)) return *code;
  return process_.kill();
}

int runCommand(const std::vector<std::string>& argv, const std::filesystem::path& log,
               std::chrono::milliseconds timeout) {
  Child child(argv, log);
  if (auto code = child.wait(timeout)) return *code;
  child.kill();
  return -1;
}

std::vector<pid_t> orphans(const std::set<pid_t>& known) {
  std::vector<pid_t> found;
  const auto self = std::to_string(::getpid());
  for (pid_t pid : allPids()) {
    if (known.count(pid)) continue;
    auto fields = statFields(pid);
    if (fields.size() > 1 && fields[1] == self) found.push_back(pid);
  }
  return found;
}

std::vector<pid_t> collectOrphans(const std::set<pid_t>& known, bool killLive) {
  std::vector<pid_t> live;
  for (pid_t pid : orphans(known)) {
    auto fields = statFields(pid);
    const bool zombie = !fields.empty() && fields[0] == "Z";
    if (!zombie) {
      live.push_back(pid);
      if (!killLive) continue;
      ::kill(pid, SIGKILL);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
  return live;
}

std::optional<std::filesystem::path> makeTempDir(const std::string& bench) {
  std::string path = "/tmp/sm-bench-" + bench + "-XXXXXX";
  if (!::mkdtemp(path.data())) {
    std::fprintf(stderr, "sm-bench-%s: mkdtemp %s: %s\n", bench.c_str(), path.c_str(),
                 std::strerror(errno));
    return std::nullopt;
  }
  return std::filesystem::path(path);
}

long rssKb(pid_t pid) {
  std::ifstream in(fmt::format("/proc/{}/status", pid));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

std::vector<pid_t> childrenOf(pid_t parent) {
  std::vector<pid_t> found;
  const auto p = std::to_string(parent);
  for (pid_t pid : allPids()) {
    auto fields = statFields(pid);
    if (fields.size() > 1 && fields[1] == p && fields[0] != "Z") found.push_back(pid);
  }
  return found;
}

std::string commandOf(pid_t pid) {
  const auto fields = statFields(pid);
  if (fields.empty() || fields[0] == "Z") return "";  // gone, or exited and not reaped yet
  std::ifstream in(fmt::format("/proc/{}/comm", pid));
  std::string comm;
  std::getline(in, comm);
  return comm;
}

std::map<std::string, int> childCommands(pid_t pid) {
  std::map<std::string, int> counts;
  for (pid_t child : childrenOf(pid)) {
    if (auto comm = commandOf(child); !comm.empty()) ++counts[comm];
  }
  return counts;
}

long long cpuTicks(pid_t pid) {
  auto fields = statFields(pid);
  if (fields.size() < 13) return 0;
  return std::stoll(fields[11]) + std::stoll(fields[12]);
}

std::string lastLines(const std::filesystem::path& file, size_t lines) {
  std::ifstream in(file);
  std::deque<std::string> tail;
  for (std::string line; std::getline(in, line);) {
    tail.push_back(line);
    if (tail.size() > lines) tail.pop_front();
  }
  std::string out;
  for (const auto& line : tail) out += "    " + line + "\n";
  return out;
}

std::optional<zk::Node> Reader::get(const std::string& path) {
  auto node = session_->get(path);
  if (node) ++reads_;
  return node;
}

std::optional<std::vector<std::string>> Reader::children(const std::string& path) {
  auto names = session_->children(path);
  if (names) ++reads_;
  return names;
}

std::vector<double> watchBaseline(const std::string& hosts, const std::string& root, int samples,
                                  int warmup, std::chrono::milliseconds idleBefore) {
  auto open = [&] {
    zk::SessionOptions options;
    options.hosts = hosts;
    options.sessionTimeout = std::chrono::seconds(10);
    return zk::Session::connect(options);
  };
  auto watcher = open();
  auto writer = open();
  writer->ensurePath(root);
  std::vector<double> result;
  for (int i = -warmup; i < samples; ++i) {
    const auto path = fmt::format("{}/w{}", root, i + warmup);
    writer->create(path, "");
    std::mutex mutex;
    std::condition_variable cv;
    bool fired = false;
    std::chrono::steady_clock::time_point firedAt;
    watcher->exists(path, [&](const zk::WatchEvent&) {
      std::lock_guard lock(mutex);
      firedAt = std::chrono::steady_clock::now();
      fired = true;
      cv.notify_one();
    });
    if (idleBefore.count() > 0) std::this_thread::sleep_for(idleBefore);  // pacing, not a wait
    const auto start = std::chrono::steady_clock::now();
    writer->remove(path);
    std::unique_lock lock(mutex);
    if (!cv.wait_for(lock, std::chrono::seconds(5), [&] { return fired; })) {
      throw std::runtime_error("the baseline's watch never fired");
    }
    if (i >= 0) {
      result.push_back(std::chrono::duration<double, std::micro>(firedAt - start).count());
    }
  }
  writer->removeRecursive(root);
  return result;
}

std::vector<Logical> readType(Reader& reader, const config::Layout& layout, const std::string& type,
                              std::vector<std::string>* problems) {
  model::ReadScope scope;
  scope.type = type;
  scope.hosts = false;
  scope.identities = false;
  scope.createLocks = false;
  const auto tree = model::readSnapshot(reader, layout, scope, [&](const auto&, const auto& error) {
    if (problems) problems->push_back(error);
  });
  std::vector<Logical> result;
  const auto* typeView = tree.type(type);
  if (!typeView) return result;
  for (const auto& [sequence, view] : typeView->logical) {  // by sequence
    Logical logical;
    logical.sequence = sequence;
    for (const auto& [uuid, physical] : view.physical) {
      if (!physical.data) continue;
      logical.instances[uuid] =
          Instance{uuid, physical.data->host, physical.data->pid, physical.data->state};
    }
    for (const auto& member : view.election) {
      logical.election.push_back(Member{member.sequence, member.data ? member.data->physical : ""});
    }
    result.push_back(std::move(logical));
  }
  return result;
}

Cluster::Cluster(DaemonSet set) : set_(std::move(set)) {
  std::filesystem::create_directories(set_.dir);
}

Cluster::~Cluster() {
  stop(std::chrono::milliseconds(20000));
}

void Cluster::start(const std::string& hostId) {
  if (daemons_.count(hostId)) throw std::logic_error("daemon " + hostId + " already runs");
  const int n = starts_++;
  const auto workDir = set_.dir / fmt::format("{}-{}", hostId, n);
  std::filesystem::create_directories(workDir);
  const auto log = set_.dir / fmt::format("{}-{}.stderr.log", hostId, n);
  workDirs_[hostId] = workDir;
  daemons_[hostId] = std::make_unique<Child>(
      std::vector<std::string>{SM_SERVICESMGR, "--zk", set_.zk, "--root", set_.root, "--host-id",
                               hostId, "--work-dir", workDir.string(), "--data-dir",
                               (workDir / "data").string(), "--session-timeout-ms",
                               std::to_string(set_.sessionTimeoutMs), "--log-level", set_.logLevel},
      log);
}

bool Cluster::waitReady(zk::Session& session, const std::vector<std::string>& hostIds,
                        std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  const auto l = layout();
  for (const auto& id : hostIds) {
    while (!session.exists(l.host(id))) {
      if (!daemons_.at(id)->running() || Clock::now() >= deadline) return false;
      std::this_thread::sleep_for(5ms);
    }
  }
  return true;
}

std::vector<std::string> Cluster::hostIds() const {
  std::vector<std::string> ids;
  for (const auto& [id, child] : daemons_) ids.push_back(id);
  return ids;
}

std::filesystem::path Cluster::roleFile(const std::string& hostId, const std::string& uuid) const {
  return instancesDir(hostId) / (uuid + ".role.json");
}

std::optional<services::RoleInfo> Cluster::role(const std::string& hostId,
                                                const std::string& uuid) const {
  if (!workDirs_.count(hostId)) return std::nullopt;
  return services::readRoleFile(roleFile(hostId, uuid).string());
}

std::set<pid_t> Cluster::pids() const {
  std::set<pid_t> pids;
  for (const auto& [id, child] : daemons_) pids.insert(child->pid());
  return pids;
}

std::map<std::string, int> Cluster::stop(std::chrono::milliseconds grace) {
  std::map<std::string, int> codes;
  for (auto& [id, child] : daemons_) {
    if (child->running()) ::kill(child->pid(), SIGTERM);
  }
  for (auto& [id, child] : daemons_) {
    codes[id] = child->terminate(grace);
    oldLogs_.push_back(child->log());
  }
  daemons_.clear();
  return codes;
}

void Cluster::killed(const std::string& hostId) {
  auto it = daemons_.find(hostId);
  if (it == daemons_.end()) return;
  it->second->kill();
  oldLogs_.push_back(it->second->log());
  daemons_.erase(it);
}

std::string Cluster::logs(size_t lines) const {
  std::string out;
  auto add = [&](const std::filesystem::path& log) {
    out += fmt::format("  {}:\n{}", log.string(), lastLines(log, lines));
  };
  for (const auto& log : oldLogs_) add(log);
  for (const auto& [id, child] : daemons_) add(child->log());
  return out;
}

std::string convergenceProblem(const std::vector<Logical>& logical, int services, int replicas,
                               const Cluster& cluster) {
  if (static_cast<int>(logical.size()) != services) {
    return fmt::format("{} logical services of {}", logical.size(), services);
  }
  for (const auto& l : logical) {
    const auto key = config::Layout::logicalServiceName(l.sequence);
    int running = 0;
    for (const auto& [uuid, i] : l.instances) {
      if (i.state == config::PhysicalState::Running) ++running;
    }
    if (running != replicas || static_cast<int>(l.instances.size()) != replicas) {
      // Which ones are not running, and where: what a stuck run's logs are searched for.
      std::string notRunning;
      for (const auto& [uuid, i] : l.instances) {
        if (i.state == config::PhysicalState::Running) continue;
        notRunning += fmt::format("; {} on {}: {}, pid {}", uuid, i.host,
                                  config::physicalStateName(i.state), i.pid);
      }
      return fmt::format("{}: {} registered, {} running, of {}{}", key, l.instances.size(), running,
                         replicas, notRunning);
    }
    if (static_cast<int>(l.election.size()) != replicas) {
      return fmt::format("{}: {} election members of {}", key, l.election.size(), replicas);
    }
    for (size_t k = 0; k < l.election.size(); ++k) {
      const auto& member = l.election[k];
      auto it = l.instances.find(member.physical);
      if (it == l.instances.end()) {
        return fmt::format("{}: election member {} is not registered", key, member.physical);
      }
      auto role = cluster.role(it->second.host, member.physical);
      if (!role) {
        return fmt::format("{}: no readable role file for {} on {}", key, member.physical,
                           it->second.host);
      }
      const auto effective = services::effectiveRole(*role);
      if (k == 0 && (effective != services::Role::Master || role->epoch != member.sequence)) {
        return fmt::format("{}: master {} role file says {} epoch {} (sequence {})", key,
                           member.physical, services::roleName(effective), role->epoch,
                           member.sequence);
      }
      if (k > 0 && effective != services::Role::Secondary) {
        return fmt::format("{}: member {} (#{}) role file says {}", key, member.physical, k,
                           services::roleName(effective));
      }
    }
  }
  return {};
}

NamespaceCounters namespaceCounters(int port, const std::string& ns) {
  auto text = zkserver::fourLetterWord(port, "mntr");
  if (!text) throw std::runtime_error("mntr: no answer from the server");
  NamespaceCounters counters;
  const auto status = zkserver::fourLetterWord(port, "srvr");
  const std::string zxidKey = "Zxid: 0x";
  const auto at = status ? status->find(zxidKey) : std::string::npos;
  if (at == std::string::npos) throw std::runtime_error("srvr: no Zxid in the server's answer");
  // The low 32 bits count the transactions of the leader's epoch (one epoch: one standalone run).
  counters.transactions =
      static_cast<long long>(std::stoull(status->substr(at + zxidKey.size()), nullptr, 16) &
                             0xffffffffULL);
  const std::string readKey = fmt::format("zk_cnt_{}_read_per_namespace", ns);
  const std::string writeKey = fmt::format("zk_cnt_{}_write_per_namespace", ns);
  std::istringstream in(*text);
  for (std::string line; std::getline(in, line);) {
    const auto tab = line.find('\t');
    if (tab == std::string::npos) continue;
    const auto key = line.substr(0, tab);
    if (key == readKey) counters.reads = std::stoll(line.substr(tab + 1));
    if (key == writeKey) counters.writes = std::stoll(line.substr(tab + 1));
  }
  return counters;
}

NamespaceCounters settle(int port, const std::string& ns, std::chrono::milliseconds quiet,
                         std::chrono::milliseconds cap, double* waitedMs) {
  const auto start = Clock::now();
  auto last = namespaceCounters(port, ns);
  auto lastChange = Clock::now();
  while (Clock::now() - start < cap) {
    std::this_thread::sleep_for(50ms);
    auto now = namespaceCounters(port, ns);
    if (now.reads != last.reads || now.writes != last.writes) {
      last = now;
      lastChange = Clock::now();
    } else if (Clock::now() - lastChange >= quiet) {
      break;
    }
  }
  if (waitedMs) *waitedMs = std::chrono::duration<double, std::milli>(lastChange - start).count();
  return last;
}

std::map<std::string, WriteTrace> writeTrace(zk::Session& session, const std::string& root) {
  static const std::regex kVariable(
      "(logicalService|physicalService|lock-|event-|_logicalService)[0-9a-fA-F-]+");
  std::map<std::string, WriteTrace> trace;
  const auto layout = config::Layout(root);
  const auto hosts = layout.hostsDir();
  std::vector<std::string> pending{root};
  while (!pending.empty()) {
    const auto path = pending.back();
    pending.pop_back();
    zk::Stat stat;
    auto names = session.children(path, {}, &stat);
    if (!names) continue;
    std::string pattern = std::regex_replace(path.substr(root.size()), kVariable, "$1*");
    if (path.rfind(hosts + "/", 0) == 0) pattern = "/hosts/*";
    if (pattern.empty()) pattern = "/";
    auto& t = trace[pattern];
    t.sets += stat.version;
    t.childChanges += stat.cversion;
    ++t.nodes;
    for (const auto& name : *names) pending.push_back(path + "/" + name);
  }
  return trace;
}

std::string demoTypeYaml(const std::string& name, int services, int replicas, int maxPerHost,
                         int stopTimeoutMs) {
  test::DemoType type;
  type.name = name;
  type.services = services;
  type.replicas = replicas;
  if (maxPerHost > 0) type.constraints = fmt::format("    maxPerHost: {}\n", maxPerHost);
  type.stopTimeoutMs = stopTimeoutMs;
  type.crashLoop = "{failures: 1000000, windowSeconds: 1}";
  // Told by its roleChange signal (and woken when a lease runs out), as a real service is: the
  // demo's fallback of re-reading its role file every 200 ms would, at 3,000 instances, be 15,000
  // file reads a second, measured instead of the manager.
  type.commandArgs = "\"--poll-ms\", \"0\"";
  return type.yaml();
}

}  // namespace sm::bench::daemon

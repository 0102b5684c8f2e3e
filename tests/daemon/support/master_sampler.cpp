#include "tests/daemon/support/master_sampler.hpp"

#include <fmt/format.h>

#include "services/role.hpp"
#include "tests/daemon/support/daemon_process.hpp"
#include "tests/daemon/support/tree_snapshot.hpp"

namespace sm::test {

namespace {

constexpr std::string_view kRoleSuffix = ".role.json";

}  // namespace

MasterSampler::MasterSampler(std::shared_ptr<zk::Session> session, config::Layout layout,
                             std::vector<std::filesystem::path> workDirs,
                             std::chrono::milliseconds period,
                             std::chrono::milliseconds treeRefresh)
    : session_(std::move(session)),
      layout_(std::move(layout)),
      workDirs_(std::move(workDirs)),
      period_(period),
      treeRefresh_(treeRefresh) {
  refreshTree();
  thread_ = std::thread(&MasterSampler::run, this);
}

MasterSampler::~MasterSampler() {
  stop();
}

void MasterSampler::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void MasterSampler::run() {
  while (!stop_) {
    const auto now = std::chrono::steady_clock::now();
    if (now - lastRefresh_ >= treeRefresh_) refreshTree();
    sampleOnce();
    std::this_thread::sleep_for(period_);  // the sampling period, not a synchronisation
  }
}

void MasterSampler::refreshTree() {
  lastRefresh_ = std::chrono::steady_clock::now();
  TreeSnapshot tree;
  try {
    tree = readTree(*session_, layout_);
  } catch (const std::exception& e) {
    std::lock_guard lock(mutex_);
    lastError_ = e.what();
    return;
  }
  std::lock_guard lock(mutex_);
  presentLogical_.clear();
  for (const auto& [name, type] : tree.types) {
    for (const auto& [seq, logical] : type.logical) {
      presentLogical_.insert(logical.key());
      for (const auto& [uuid, instance] : logical.instances) {
        if (!instance.decoded) continue;
        known_[uuid] = Known{logical.key(), instance.host, instance.pid};
      }
    }
  }
  for (auto& [key, gap] : gaps_) {
    if (!presentLogical_.count(key)) gap.open = false;  // gone from the tree: no longer tracked
  }
}

void MasterSampler::sampleOnce() {
  struct Seen {
    std::string uuid;
    std::filesystem::path file;
    services::RoleInfo role;
  };
  std::vector<Seen> masters;
  const auto nowNs = services::monotonicNowNs();
  for (const auto& dir : workDirs_) {
    std::error_code ec;
    std::filesystem::directory_iterator it(dir / "instances", ec);
    if (ec) continue;
    for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
      if (ec) break;
      const std::string name = it->path().filename().string();
      if (name.size() <= kRoleSuffix.size() || !name.ends_with(kRoleSuffix)) continue;
      auto role = services::readRoleFile(it->path().string());
      if (!role || services::effectiveRole(*role, nowNs) != services::Role::Master) continue;
      masters.push_back({name.substr(0, name.size() - kRoleSuffix.size()), it->path(), *role});
    }
  }
  // A master we cannot place yet: read the tree at once (at most every 20 ms).
  bool unknown = false;
  {
    std::lock_guard lock(mutex_);
    for (const auto& seen : masters) {
      if (!known_.count(seen.uuid)) unknown = true;
    }
  }
  if (unknown && std::chrono::steady_clock::now() - lastRefresh_ > std::chrono::milliseconds(20)) {
    refreshTree();
  }
  std::lock_guard lock(mutex_);
  std::map<std::string, std::vector<const Seen*>> byLogical;
  for (const auto& seen : masters) {
    auto it = known_.find(seen.uuid);
    if (it == known_.end()) continue;
    if (!pidAlive(static_cast<pid_t>(it->second.pid))) continue;
    byLogical[it->second.logical].push_back(&seen);
  }
  // The files were read one after the other: two "master" answers may come from two different
  // moments of a clean handover. Read them again: if the first one read still says master with the
  // same epoch (and its process lives), it was master all along, including when the other was read.
  for (auto& [logical, list] : byLogical) {
    if (list.size() < 2) continue;
    const Seen* first = list.front();
    auto again = services::readRoleFile(first->file.string());
    if (!again || !services::isMasterNow(*again) || again->epoch != first->role.epoch ||
        !pidAlive(static_cast<pid_t>(known_.at(first->uuid).pid))) {
      continue;
    }
    std::vector<std::string> described;
    for (const Seen* seen : list) {
      const auto& known = known_.at(seen->uuid);
      described.push_back(fmt::format("{} host={} pid={} epoch={}", seen->uuid, known.host,
                                      known.pid, seen->role.epoch));
    }
    violations_.push_back({std::chrono::steady_clock::now(), logical, described});
  }
  for (const auto& [logical, list] : byLogical) {
    auto& history = history_[logical];
    if (list.size() == 1 && (history.empty() || history.back() != list.front()->uuid)) {
      history.push_back(list.front()->uuid);
    }
  }
  const auto now = std::chrono::steady_clock::now();
  for (const auto& key : presentLogical_) {
    auto& gap = gaps_[key];
    const bool hasMaster = byLogical.count(key) > 0;
    if (hasMaster) {
      if (gap.open) {
        gap.longest = std::max(
            gap.longest, std::chrono::duration_cast<std::chrono::milliseconds>(now - gap.since));
      }
      gap.open = false;
      gap.seenMaster = true;
    } else if (gap.seenMaster && !gap.open) {
      gap.open = true;
      gap.since = now;
    }
  }
  ++samples_;
}

std::vector<MasterSampler::Violation> MasterSampler::violations() const {
  std::lock_guard lock(mutex_);
  return violations_;
}

std::chrono::milliseconds MasterSampler::longestGapWithoutMaster(std::string* which) const {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  std::chrono::milliseconds longest{0};
  for (const auto& [key, gap] : gaps_) {
    auto value = gap.longest;
    if (gap.open) {
      value =
          std::max(value, std::chrono::duration_cast<std::chrono::milliseconds>(now - gap.since));
    }
    if (value > longest) {
      longest = value;
      if (which) *which = key;
    }
  }
  return longest;
}

std::set<std::string> MasterSampler::logicalServicesWithMaster() const {
  std::lock_guard lock(mutex_);
  std::set<std::string> result;
  for (const auto& [key, gap] : gaps_) {
    if (gap.seenMaster) result.insert(key);
  }
  return result;
}

std::vector<std::string> MasterSampler::masterHistory(const std::string& logical) const {
  std::lock_guard lock(mutex_);
  auto it = history_.find(logical);
  return it == history_.end() ? std::vector<std::string>{} : it->second;
}

std::string MasterSampler::report() const {
  std::string which;
  const auto gap = longestGapWithoutMaster(&which);
  std::lock_guard lock(mutex_);
  std::string out = fmt::format("{} samples, {} double-master samples, longest gap {} ms ({})\n",
                                samples_.load(), violations_.size(), gap.count(), which);
  size_t shown = 0;
  for (const auto& v : violations_) {
    if (++shown > 10) break;
    out += "  two masters in " + v.logical + ":";
    for (const auto& m : v.masters) out += " [" + m + "]";
    out += "\n";
  }
  if (!lastError_.empty()) out += "  last tree read error: " + lastError_ + "\n";
  return out;
}

}  // namespace sm::test

#include "manager/daemon/local_instances.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <filesystem>

#include "config/election_data.hpp"
#include "manager/daemon/process_template.hpp"
#include "manager/daemon/reconcile/peer_list.hpp"
#include "manager/zk/error.hpp"
#include "manager/zk/op.hpp"
#include "manager/zk/path.hpp"

namespace sm::daemon {

namespace {
// A run this long resets the host's backoff for the type.
constexpr std::int64_t kSteadyRunMs = 10000;
}  // namespace

struct LocalInstances::Instance {
  config::PhysicalServiceId id;
  config::StoredServiceType type;
  std::int64_t startedMs = 0;
  // Under LocalInstances::mutex_:
  pid_t pid = 0;
  std::map<std::string, int> ports;
  bool started = false;
  bool ready = false;
  bool registered = false;
  bool stopRequested = false;
  bool ended = false;      // the process is gone (or never started)
  bool unplanned = false;  // ... without being asked to stop
  bool exitRecorded = false;
  bool steadyRecorded = false;
  bool withdrawPending = false;  // its znodes still have to go
  bool gone = false;             // the supervisor forgot it
  bool survivor = false;         // running, unregistered since the session expired
  std::string roleFileError;     // its role file could not be written: it must go
  std::string endMessage;
  std::string electionNode;
  std::unique_ptr<zk::Election> election;
  // Serialises role-file writes with withdrawal, so that no election callback can write "master"
  // after the instance was withdrawn. Never held with mutex_.
  std::mutex roleMutex;
  bool withdrawn = false;         // under roleMutex (and the rest of this block)
  int registration = 0;           // counts registrations; election callbacks carry theirs
  bool master = false;            // what the election said last
  std::int64_t epoch = 0;         // ours while master
  std::int64_t masterEpoch = -1;  // the master's, as a secondary last learned it
  nlohmann::json masterPeer = nlohmann::json::object();
  std::vector<std::string> peers;  // of its logical service, as the tree last said
  supervisor::RoleState told;
};

LocalInstances::LocalInstances(DaemonContext& context)
    : context_(context),
      lease_(context),
      supervisor_(std::make_unique<supervisor::Supervisor>(
          [this](const supervisor::InstanceEvent& event) { onEvent(event); })) {
  leaseThread_ = std::thread([this] { renewLeases(); });
}

LocalInstances::~LocalInstances() {
  stopLeases();
  supervisor_.reset();
}

void LocalInstances::stopLeases() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (leaseThread_.joinable()) leaseThread_.join();
}

void LocalInstances::renewLeases() {
  std::unique_lock lock(mutex_);
  for (;;) {
    changed_.wait_for(lock, lease_.sessionTimeout() / 4, [&] { return stopping_ || renewNow_; });
    if (stopping_) return;
    renewNow_ = false;
    std::vector<std::shared_ptr<Instance>> all;
    for (const auto& [uuid, instance] : instances_) {
      if (instance->registered) all.push_back(instance);
    }
    lock.unlock();
    try {
      renewLeasesOf(all);
    } catch (const std::exception& e) {
      // The thread must outlive a failed round (a lease then simply lapses): log and go on.
      spdlog::error("renewing master leases failed: {}", e.what());
    }
    lock.lock();
  }
}

void LocalInstances::renewLeasesOf(const std::vector<std::shared_ptr<Instance>>& all) {
  // Renewed while any instance runs, not only masters: a secondary that becomes master then
  // finds a lease ready, and its failover costs no extra round trip.
  if (all.empty()) return;
  const auto deadline = lease_.renew();
  const auto now = services::monotonicNowNs();
  for (const auto& instance : all) {
    std::lock_guard roleLock(instance->roleMutex);
    if (!instance->master || instance->withdrawn) continue;
    supervisor::RoleState state = instance->told;
    if (deadline > now && !cutOff_) {
      state.role = services::Role::Master;
      state.epoch = instance->epoch;
      state.leaseUntilMonoNs = deadline;
      state.masterPeer = peerOf(*instance);
    } else if (state.role == services::Role::Master) {
      spdlog::warn("instance {}: master lease lapsed (no answer from ZooKeeper): role unknown",
                   instance->id.uuid);
      state.role = services::Role::Unknown;
      state.leaseUntilMonoNs = 0;
    } else {
      continue;
    }
    tellLocked(*instance, state);
  }
}

nlohmann::json LocalInstances::peerOf(const Instance& instance) {
  std::lock_guard lock(mutex_);
  nlohmann::json ports = nlohmann::json::object();
  for (const auto& [name, port] : instance.ports) ports[name] = port;
  return {{"uuid", instance.id.uuid},
          {"host", context_.options.hostId},
          {"pid", instance.pid},
          {"ports", ports}};
}

void LocalInstances::tellLocked(Instance& instance, supervisor::RoleState state) {
  if (instance.withdrawn) return;
  state.peers = instance.peers;
  const bool changed = state.role != instance.told.role || state.epoch != instance.told.epoch;
  instance.told = state;
  supervisor_->setRole(instance.id.uuid, state);
  if (changed) {
    spdlog::info("instance {} of {} is {} (epoch {})", instance.id.uuid,
                 context_.layout.logicalService(instance.id.logical),
                 services::roleName(state.role), state.epoch);
  }
}

void LocalInstances::becameMaster(const std::shared_ptr<Instance>& instance, int registration,
                                  std::int64_t epoch) {
  std::lock_guard roleLock(instance->roleMutex);
  if (instance->registration != registration) return;
  instance->master = true;
  instance->epoch = epoch;
  supervisor::RoleState state;
  state.epoch = epoch;
  state.masterPeer = peerOf(*instance);
  // Master only with a lease backed by a recent round trip; else the lease thread retries.
  if (const auto deadline = cutOff_ ? 0 : lease_.current(); deadline != 0) {
    state.role = services::Role::Master;
    state.leaseUntilMonoNs = deadline;
  }
  tellLocked(*instance, state);
}

void LocalInstances::becameSecondary(const std::shared_ptr<Instance>& instance, int registration) {
  std::lock_guard roleLock(instance->roleMutex);
  if (instance->registration != registration) return;
  instance->master = false;
  supervisor::RoleState state;
  state.role = services::Role::Secondary;
  state.epoch = std::max<std::int64_t>(0, instance->masterEpoch);
  state.masterPeer = instance->masterPeer;
  tellLocked(*instance, state);
}

void LocalInstances::lostCandidacy(const std::shared_ptr<Instance>& instance, int registration) {
  {
    std::lock_guard roleLock(instance->roleMutex);
    if (instance->registration != registration) return;
    instance->master = false;
    tellLocked(*instance, supervisor::RoleState{});
  }
  context_.wake();
}

void LocalInstances::followMasters(const ClusterSnapshot& snapshot) {
  std::vector<std::shared_ptr<Instance>> all;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [uuid, instance] : instances_) {
      if (instance->registered) all.push_back(instance);
    }
  }
  for (const auto& instance : all) {
    const auto* logical = snapshot.logical(instance->id.logical);
    if (!logical) continue;
    if (auto peers = peerEndpoints(snapshot, instance->id.logical); peers != instance->peers) {
      // A new or lost peer: written and noticed with the role it has now.
      std::lock_guard roleLock(instance->roleMutex);
      instance->peers = std::move(peers);
      tellLocked(*instance, instance->told);
    }
    if (logical->election.empty()) continue;
    const auto& first = logical->election.front();
    if (!first.data || first.data->physical == instance->id.uuid) continue;
    nlohmann::json peer = {{"uuid", first.data->physical}, {"host", first.data->host}};
    if (auto physical = logical->physical.find(first.data->physical);
        physical != logical->physical.end() && physical->second.data) {
      peer["pid"] = physical->second.data->pid;
      peer["ports"] = physical->second.data->ports;
    }
    std::lock_guard roleLock(instance->roleMutex);
    // An older view of the tree must not take a secondary back to an older master.
    if (first.sequence < instance->masterEpoch) continue;
    instance->masterEpoch = first.sequence;
    instance->masterPeer = peer;
    if (instance->told.role != services::Role::Secondary || instance->master) continue;
    auto state = instance->told;
    state.epoch = first.sequence;
    state.masterPeer = peer;
    tellLocked(*instance, state);
  }
}

std::shared_ptr<LocalInstances::Instance> LocalInstances::find(const std::string& uuid) {
  std::lock_guard lock(mutex_);
  auto it = instances_.find(uuid);
  return it == instances_.end() ? nullptr : it->second;
}

void LocalInstances::onEvent(const supervisor::InstanceEvent& event) {
  using Kind = supervisor::InstanceEvent::Kind;
  auto instance = find(event.instanceId);
  if (!instance) return;
  bool withdrawNow = false;
  {
    std::lock_guard lock(mutex_);
    switch (event.kind) {
      case Kind::Started:
        instance->pid = event.pid;
        instance->started = true;
        break;
      case Kind::Ready:
        instance->ready = true;
        break;
      case Kind::StartFailed:
      case Kind::Exited:
        if (instance->ended) break;
        instance->ended = true;
        instance->unplanned = !instance->stopRequested;
        instance->endMessage =
            event.kind == Kind::Exited ? "exited: " + event.exit.describe() : event.message;
        withdrawNow = instance->registered && !instance->withdrawPending;
        instance->withdrawPending = instance->withdrawPending || withdrawNow;
        break;
      case Kind::Stopped:
        instance->gone = true;
        break;
      case Kind::RoleNoticeFailed:
        spdlog::warn("instance {}: role notice failed: {}", event.instanceId, event.message);
        break;
      case Kind::RoleFileFailed:
        if (instance->roleFileError.empty()) instance->roleFileError = event.message;
        break;
      default:
        break;
    }
  }
  changed_.notify_all();
  if (withdrawNow) {
    spdlog::info("instance {} of {} {}: withdrawing it", event.instanceId,
                 context_.layout.logicalService(instance->id.logical), instance->endMessage);
    // Not on the supervisor's thread, which must not block: on the session's, right away.
    context_.session()->post([this, instance] { withdraw(instance); });
  }
  if (event.kind != Kind::Started && event.kind != Kind::RoleNoticeSent) context_.wake();
}

config::PhysicalServiceData LocalInstances::dataOf(const Instance& instance) {
  config::PhysicalServiceData data;
  data.host = context_.options.hostId;
  data.pid = instance.pid;
  for (const auto& [name, port] : instance.ports) data.ports[name] = port;
  data.started = instance.startedMs;
  data.generation = instance.type.generation;
  data.state = instance.ready ? config::PhysicalState::Running : config::PhysicalState::Starting;
  return data;
}

std::optional<std::string> LocalInstances::launch(const config::PhysicalServiceId& id,
                                                  const config::StoredServiceType& type,
                                                  std::chrono::milliseconds timeout) {
  auto instance = std::make_shared<Instance>();
  instance->id = id;
  instance->type = type;
  instance->startedMs = wallNowMs();
  {
    std::lock_guard lock(mutex_);
    instances_[id.uuid] = instance;
  }
  std::string error;
  std::error_code ec;
  const auto dir = instancesDir(context_.options);
  if (std::filesystem::create_directories(dir, ec); ec) {
    error = fmt::format("cannot create {}: {}", dir, ec.message());
  } else if (!supervisor_->start(
                 processSpecFor(type.type.spec, id, context_.layout, context_.options), &error) &&
             error.empty()) {
    error = "the supervisor could not start it";
  }
  if (!error.empty()) {
    // Like an exit at start: backoff, then a cooldown that the type's status reports.
    std::lock_guard lock(mutex_);
    instances_.erase(id.uuid);
    failures_.recordExit(id.logical.type, type.type.spec.restart, wallNowMs(), error);
    return error;
  }
  std::unique_lock lock(mutex_);
  changed_.wait_for(lock, timeout, [&] { return instance->started || instance->ended; });
  if (instance->ended) return instance->endMessage;
  if (!instance->started) {
    lock.unlock();
    stop(id.uuid, "it did not start in time");
    return fmt::format("did not start within {} ms", timeout.count());
  }
  lock.unlock();
  if (auto status = supervisor_->status(id.uuid)) {
    lock.lock();
    instance->ports = status->ports;
  }
  return std::nullopt;
}

bool LocalInstances::registerInstance(const config::PhysicalServiceId& id,
                                      const std::string& placeInQueue) {
  auto instance = find(id.uuid);
  if (!instance) return false;
  config::PhysicalServiceData data;
  {
    std::lock_guard lock(mutex_);
    if (instance->ended || instance->stopRequested) return false;
    data = dataOf(*instance);
  }
  const auto& layout = context_.layout;
  auto session = context_.session();
  const auto physicalPath = layout.physicalService(id);
  std::string electionNode;
  try {
    auto results = session->multi(
        {zk::Op::remove(placeInQueue),
         zk::Op::create(physicalPath, config::encodePhysicalServiceData(data),
                        zk::CreateMode::Ephemeral),
         zk::Op::create(layout.electionMemberPrefix(id),
                        config::encodeElectionData({id.uuid, context_.options.hostId}),
                        zk::CreateMode::EphemeralSequential)});
    electionNode = results.at(2).createdPath;
  } catch (const zk::ZkError& e) {
    spdlog::warn("could not register {}: {}", physicalPath, e.what());
    stop(id.uuid, "its registration failed");
    return false;
  }
  bool endedMeanwhile;
  {
    std::lock_guard lock(mutex_);
    instance->registered = true;
    instance->electionNode = electionNode;
    // The process may have ended while the multi() was on its way: its exit event saw nothing to
    // withdraw, so withdraw it here, or a dead process would stay registered.
    endedMeanwhile = instance->ended;
    instance->withdrawPending = instance->withdrawPending || endedMeanwhile;
  }
  context_.tree().invalidate(layout.physicalServicesDir(id.logical));
  context_.tree().invalidate(layout.electionDir(id.logical));
  if (endedMeanwhile) {
    withdraw(instance);
    return false;
  }

  int registration;
  bool survived;
  {
    std::lock_guard roleLock(instance->roleMutex);
    registration = ++instance->registration;
    instance->withdrawn = false;
    std::lock_guard lock(mutex_);
    survived = instance->survivor;
    instance->survivor = false;
  }
  zk::Election::Callbacks callbacks;
  callbacks.onMaster = [this, instance, registration](std::int64_t epoch) {
    becameMaster(instance, registration, epoch);
  };
  callbacks.onSecondary = [this, instance, registration](const std::string&) {
    becameSecondary(instance, registration);
  };
  callbacks.onLost = [this, instance, registration](zk::LossReason) {
    lostCandidacy(instance, registration);
  };
  auto election = std::make_unique<zk::Election>(session, layout.electionDir(id.logical), "",
                                                 std::move(callbacks));
  election->follow(electionNode);
  {
    std::lock_guard lock(mutex_);
    instance->election = std::move(election);
  }
  spdlog::info("registered {}{} (pid {}, election {})", physicalPath,
               survived ? " again after the session expired" : "", data.pid,
               zk::nodeName(electionNode));
  return true;
}

void LocalInstances::withdraw(const std::shared_ptr<Instance>& instance) {
  {
    std::lock_guard roleLock(instance->roleMutex);
    instance->withdrawn = true;
  }
  std::string electionNode;
  std::unique_ptr<zk::Election> election;
  {
    std::lock_guard lock(mutex_);
    electionNode = instance->electionNode;
    election = std::move(instance->election);
  }
  const auto physicalPath = context_.layout.physicalService(instance->id);
  std::vector<zk::Op> ops{zk::Op::remove(physicalPath)};
  if (!electionNode.empty()) ops.push_back(zk::Op::remove(electionNode));
  auto session = context_.session();
  bool done = false;
  try {
    session->multi(ops);
    done = true;
  } catch (const zk::MultiError&) {
    // One of them is gone already (removed by someone else): remove the rest one by one.
    done = true;
    for (const auto& op : ops) {
      try {
        session->remove(op.path);
      } catch (const zk::ZkError& e) {
        if (e.code() != zk::Code::NoNode) done = false;
      }
    }
  } catch (const zk::ZkError& e) {
    // A lost session takes the nodes with it; a connection loss is retried by the loop.
    done = e.isSessionLost();
    if (!done) spdlog::warn("could not withdraw {} yet: {}", physicalPath, e.what());
  }
  if (election) {
    // Its node is removed by path above (again on a retry) or goes with the session: the recipe
    // must neither delete a node that might be someone else's nor wait for a connection.
    election->abandon();
    election.reset();
  }
  std::lock_guard lock(mutex_);
  instance->withdrawPending = !done;
  if (done) instance->registered = false;
}

void LocalInstances::stop(const std::string& uuid, const std::string& reason) {
  auto instance = find(uuid);
  if (!instance) return;
  bool registered;
  {
    std::lock_guard lock(mutex_);
    if (instance->stopRequested) return;
    instance->stopRequested = true;
    registered = instance->registered;
  }
  {
    // Told first: a master stops acting as one before its successor can be elected.
    std::lock_guard roleLock(instance->roleMutex);
    tellLocked(*instance, supervisor::RoleState{});
    instance->withdrawn = true;
  }
  if (registered) withdraw(instance);
  supervisor_->stop(uuid);
  spdlog::info("stopping instance {} of {}: {}", uuid,
               context_.layout.logicalService(instance->id.logical), reason);
}

void LocalInstances::update(const std::string& uuid, const config::PhysicalServiceData& data) {
  auto instance = find(uuid);
  if (!instance) return;
  const auto path = context_.layout.physicalService(instance->id);
  try {
    context_.session()->set(path, config::encodePhysicalServiceData(data));
    context_.tree().invalidate(path);
  } catch (const zk::ZkError& e) {
    if (e.code() != zk::Code::NoNode) throw;  // gone: the next pass stops the instance
  }
}

void LocalInstances::rewrite(const std::string& uuid) {
  auto instance = find(uuid);
  if (!instance) return;
  config::PhysicalServiceData data;
  {
    std::lock_guard lock(mutex_);
    data = dataOf(*instance);
  }
  spdlog::warn("rewriting {}: its data could not be read",
               context_.layout.physicalService(instance->id));
  update(uuid, data);
}

std::vector<LocalInstanceView> LocalInstances::views() {
  std::lock_guard lock(mutex_);
  std::vector<LocalInstanceView> result;
  for (const auto& [uuid, instance] : instances_) {
    if (instance->ended || instance->stopRequested) continue;
    result.push_back({instance->id, instance->type.type.spec, instance->registered, instance->ready,
                      instance->survivor});
  }
  return result;
}

std::int64_t LocalInstances::runningCount() {
  std::lock_guard lock(mutex_);
  std::int64_t count = 0;
  for (const auto& [uuid, instance] : instances_) count += instance->ended ? 0 : 1;
  return count;
}

void LocalInstances::collectEnded() {
  const auto now = wallNowMs();
  std::vector<std::shared_ptr<Instance>> toForget;
  std::vector<std::shared_ptr<Instance>> toWithdraw;
  std::vector<std::pair<std::string, std::string>> unusable;  // uuid, why
  {
    std::lock_guard lock(mutex_);
    for (auto it = instances_.begin(); it != instances_.end();) {
      auto& instance = it->second;
      if (!instance->roleFileError.empty() && !instance->ended && !instance->stopRequested &&
          !instance->exitRecorded) {
        // It cannot learn its role, so it cannot be trusted with one: a failure of this host.
        instance->exitRecorded = true;
        const auto why = "its role file cannot be written: " + instance->roleFileError;
        auto verdict = failures_.recordExit(instance->id.logical.type,
                                            instance->type.type.spec.restart, now, why);
        spdlog::warn("instance {} of {}: {}; this host takes {} again in {} ms", instance->id.uuid,
                     context_.layout.logicalService(instance->id.logical), why,
                     instance->id.logical.type, verdict.retryAtMs - now);
        unusable.emplace_back(instance->id.uuid, why);
      }
      if (instance->started && !instance->ended && !instance->steadyRecorded &&
          now - instance->startedMs >= kSteadyRunMs) {
        instance->steadyRecorded = true;
        failures_.recordSteady(instance->id.logical.type);
      }
      if (instance->ended && instance->unplanned && !instance->exitRecorded) {
        instance->exitRecorded = true;
        auto verdict = failures_.recordExit(
            instance->id.logical.type, instance->type.type.spec.restart, now, instance->endMessage);
        auto log = verdict.crashLoop ? spdlog::level::warn : spdlog::level::info;
        spdlog::log(log, "instance {} of {} ended ({}); this host takes {} again in {} ms",
                    instance->id.uuid, context_.layout.logicalService(instance->id.logical),
                    verdict.message, instance->id.logical.type, verdict.retryAtMs - now);
      }
      if (instance->withdrawPending && instance->ended) toWithdraw.push_back(instance);
      if (instance->gone && !instance->withdrawPending) {
        it = instances_.erase(it);
        continue;
      }
      if (instance->ended && !instance->stopRequested) {
        instance->stopRequested = true;
        toForget.push_back(instance);
      }
      ++it;
    }
  }
  for (const auto& instance : toWithdraw) withdraw(instance);
  for (const auto& instance : toForget) supervisor_->stop(instance->id.uuid);
  for (const auto& [uuid, why] : unusable) stop(uuid, why);
}

void LocalInstances::stopAll() {
  std::vector<std::string> masters;
  std::vector<std::string> others;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [uuid, instance] : instances_) {
      (instance->election && instance->election->isMaster() ? masters : others).push_back(uuid);
    }
  }
  for (const auto& uuid : masters) stop(uuid, "the manager is stopping (master hands over)");
  for (const auto& uuid : others) stop(uuid, "the manager is stopping");
  supervisor_->stopAll();
  // Before the session closes: the renewals use it.
  stopLeases();
  std::lock_guard lock(mutex_);
  instances_.clear();
}

void LocalInstances::orphanAll() {
  std::vector<std::shared_ptr<Instance>> all;
  {
    std::lock_guard lock(mutex_);
    survivorDeadline_.reset();
    for (auto& [uuid, instance] : instances_) all.push_back(instance);
  }
  for (const auto& instance : all) {
    std::unique_ptr<zk::Election> election;
    {
      std::lock_guard roleLock(instance->roleMutex);
      tellLocked(*instance, supervisor::RoleState{});
      instance->withdrawn = true;
      instance->master = false;
      ++instance->registration;
      std::lock_guard lock(mutex_);
      election = std::move(instance->election);
      instance->electionNode.clear();
      instance->registered = false;
      instance->withdrawPending = false;  // the server removed its znodes with the session
      instance->survivor = !instance->ended && !instance->stopRequested;
    }
    // Its node went with the old session; the recipe only forgets it.
    if (election) election->abandon();
    election.reset();
    spdlog::warn("instance {} of {} lost its registration with the session: role unknown",
                 instance->id.uuid, context_.layout.logicalService(instance->id.logical));
  }
}

void LocalInstances::connectionLost() {
  if (cutOff_.exchange(true)) return;
  std::vector<std::shared_ptr<Instance>> all;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [uuid, instance] : instances_) all.push_back(instance);
  }
  for (const auto& instance : all) {
    std::lock_guard roleLock(instance->roleMutex);
    if (!instance->master || instance->told.role != services::Role::Master) continue;
    auto state = instance->told;
    state.role = services::Role::Unknown;
    state.leaseUntilMonoNs = 0;
    spdlog::warn("instance {}: connection to ZooKeeper lost: role unknown until it is back",
                 instance->id.uuid);
    tellLocked(*instance, state);
  }
}

void LocalInstances::connectionBack() {
  if (!cutOff_.exchange(false)) return;
  {
    std::lock_guard lock(mutex_);
    renewNow_ = true;
  }
  changed_.notify_all();
}

void LocalInstances::setSurvivorDeadline(std::chrono::steady_clock::time_point deadline) {
  std::lock_guard lock(mutex_);
  survivorDeadline_ = deadline;
}

void LocalInstances::stopSurvivors(const std::string& reason) {
  std::vector<std::string> survivors;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [uuid, instance] : instances_) {
      if (instance->survivor && !instance->stopRequested) survivors.push_back(uuid);
    }
  }
  for (const auto& uuid : survivors) stop(uuid, "survivor of an expired session: " + reason);
}

void LocalInstances::stopOverdueSurvivors() {
  {
    std::lock_guard lock(mutex_);
    if (!survivorDeadline_ || std::chrono::steady_clock::now() < *survivorDeadline_) return;
  }
  stopSurvivors("not registered again in time");
}

std::optional<std::chrono::steady_clock::time_point> LocalInstances::survivorDeadline() {
  std::lock_guard lock(mutex_);
  for (const auto& [uuid, instance] : instances_) {
    if (instance->survivor && !instance->stopRequested) return survivorDeadline_;
  }
  return std::nullopt;
}

std::optional<config::PhysicalServiceId> LocalInstances::survivorOf(
    const config::LogicalServiceId& logical) {
  std::lock_guard lock(mutex_);
  for (const auto& [uuid, instance] : instances_) {
    if (instance->survivor && !instance->ended && !instance->stopRequested &&
        instance->id.logical == logical) {
      return instance->id;
    }
  }
  return std::nullopt;
}

}  // namespace sm::daemon

#include "manager/supervisor/supervisor.hpp"

#include <spdlog/spdlog.h>
#include <sys/epoll.h>

#include <future>
#include <stdexcept>

namespace sm::supervisor {

Supervisor::Supervisor(EventHandler handler) : handler_(std::move(handler)) {
  loop_.call([this] {
    guard_ = std::make_unique<OrphanGuard>();
    watchGuard();
  });
}

Supervisor::~Supervisor() {
  stopAll();
  loop_.call([this] {
    queries_.clear();  // their commands are killed; no answer follows
    instances_.clear();
    retired_.clear();
    loop_.unwatchFd(guardWatch_);
    guard_.reset();
  });
  loop_.stop();
}

void Supervisor::watchGuard() {
  guardWatch_ = loop_.watchFd(guard_->exitFd(), EPOLLIN, [this](std::uint32_t) {
    loop_.unwatchFd(guardWatch_);
    guard_->respawn();
    watchGuard();
  });
}

bool Supervisor::start(ProcessSpec spec, std::string* error) {
  std::string refusal;
  bool accepted = loop_.call([&] {
    // The id names files in the log dir.
    if (spec.instanceId.empty() || spec.instanceId.find('/') != std::string::npos ||
        spec.instanceId[0] == '.') {
      refusal = "instanceId \"" + spec.instanceId + "\" is empty, contains '/' or starts with '.'";
      return false;
    }
    if (instances_.count(spec.instanceId) != 0) {
      refusal = "instance " + spec.instanceId + " is already supervised";
      return false;
    }
    std::string id = spec.instanceId;
    auto instance =
        std::make_unique<Instance>(loop_, *guard_, ports_, std::move(spec),
                                   [this](const InstanceEvent& event) { onEvent(event); });
    Instance* started = instance.get();
    instances_.emplace(id, std::move(instance));
    started->start();
    return true;
  });
  if (!accepted && error != nullptr) *error = refusal;
  return accepted;
}

bool Supervisor::stop(const std::string& instanceId) {
  return loop_.call([&] {
    auto it = instances_.find(instanceId);
    if (it == instances_.end()) return false;
    it->second->stop();
    return true;
  });
}

void Supervisor::stopAll() {
  if (loop_.inLoopThread())
    throw std::logic_error("Supervisor::stopAll() would wait on its own event thread");
  // Shared: the loop thread may still be inside set_value() when this thread wakes and returns.
  auto allStopped = std::make_shared<std::promise<void>>();
  auto done = allStopped->get_future();
  bool posted = loop_.post([this, allStopped] {
    if (instances_.empty()) {
      allStopped->set_value();
      return;
    }
    allStoppedWaiters_.push_back([allStopped] { allStopped->set_value(); });
    std::vector<Instance*> running;
    for (auto& [id, instance] : instances_) running.push_back(instance.get());
    // Stopping may retire an instance at once; the pointers stay valid in retired_ meanwhile.
    for (Instance* instance : running) instance->stop();
  });
  if (posted) done.wait();
}

bool Supervisor::setRole(const std::string& instanceId, const RoleState& role, pid_t forPid) {
  return loop_.call([&] {
    auto it = instances_.find(instanceId);
    if (it == instances_.end()) return false;
    return it->second->setRole(role, forPid);
  });
}

void Supervisor::query(const std::string& instanceId, std::vector<std::string> argv,
                       std::chrono::milliseconds timeout, std::size_t limit,
                       OutputCommand::Done done) {
  loop_.post([this, instanceId, argv = std::move(argv), timeout, limit,
              done = std::move(done)]() mutable {
    auto it = instances_.find(instanceId);
    if (it == instances_.end() || it->second->environment().empty()) {
      done({false, "the instance does not run", "", false});
      return;
    }
    const auto id = nextQuery_++;
    queries_[id] = std::make_unique<OutputCommand>(
        loop_, *guard_, argv, it->second->environment(), it->second->workingDir(), timeout, limit,
        [this, id, done = std::move(done)](const OutputCommand::Outcome& outcome) {
          done(outcome);
          // Not inside its own callback: a later task destroys it.
          loop_.post([this, id] { queries_.erase(id); });
        });
  });
}

std::optional<InstanceStatus> Supervisor::status(const std::string& instanceId) {
  return loop_.call([&]() -> std::optional<InstanceStatus> {
    auto it = instances_.find(instanceId);
    if (it == instances_.end()) return std::nullopt;
    return it->second->status();
  });
}

std::vector<InstanceStatus> Supervisor::list() {
  return loop_.call([&] {
    std::vector<InstanceStatus> result;
    for (const auto& [id, instance] : instances_) result.push_back(instance->status());
    return result;
  });
}

bool Supervisor::setLastWill(std::optional<OrphanGuard::LastWill> will) {
  return loop_.call([&] { return guard_->setLastWill(std::move(will)); });
}

pid_t Supervisor::orphanGuardPid() {
  return loop_.call([&] { return guard_->pid(); });
}

void Supervisor::onEvent(const InstanceEvent& event) {
  bool stopped = event.kind == InstanceEvent::Kind::Stopped;
  // Forgotten before the handler runs, so that it may start a new instance under the same id.
  if (stopped) retire(event.instanceId);
  if (handler_) {
    try {
      handler_(event);
    } catch (const std::exception& e) {
      spdlog::error("supervisor event handler threw on {} {}: {}", event.instanceId,
                    eventName(event.kind), e.what());
    }
  }
  if (stopped && instances_.empty()) {
    auto waiters = std::move(allStoppedWaiters_);
    allStoppedWaiters_.clear();
    for (auto& waiter : waiters) waiter();
  }
}

void Supervisor::retire(const std::string& instanceId) {
  auto it = instances_.find(instanceId);
  if (it == instances_.end()) return;
  retired_.push_back(std::move(it->second));
  instances_.erase(it);
  // The instance is inside its own call stack now; destroy it once that has unwound.
  loop_.post([this] { retired_.clear(); });
}

}  // namespace sm::supervisor

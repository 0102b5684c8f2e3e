#include "manager/zk/election.hpp"

#include <spdlog/spdlog.h>

#include "manager/zk/path.hpp"
#include "manager/zk/sequential_name.hpp"

namespace sm::zk {

Election::Election(std::shared_ptr<Session> session, std::string dir, std::string data,
                   Callbacks callbacks, std::string prefix)
    : session_(std::move(session)),
      dir_(std::move(dir)),
      data_(std::move(data)),
      callbacks_(std::move(callbacks)),
      prefix_(std::move(prefix)) {}

Election::~Election() {
  try {
    leave();
    // Our callbacks capture this object: let any that is running or queued finish first.
    session_->drain();
  } catch (const std::exception& e) {
    spdlog::warn("leaving election {} failed: {}", dir_, e.what());
  }
}

void Election::join() {
  if (auto member = newMember()) member->enter();
}

void Election::follow(const std::string& nodePath) {
  if (auto member = newMember()) member->adopt(nodePath);
}

std::shared_ptr<QueueMember> Election::newMember() {
  std::lock_guard lock(mutex_);
  if (member_ && member_->active()) return nullptr;
  epoch_.reset();
  QueueMember::Listener listener;
  listener.onPosition = [this](const QueueMember::Position& position) {
    std::shared_ptr<QueueMember> self;
    {
      std::lock_guard lock(mutex_);
      self = member_;
    }
    if (!self) return;
    if (position.first) {
      auto epoch = self->sequence();
      {
        std::lock_guard lock(mutex_);
        epoch_ = epoch;
      }
      spdlog::info("election {}: {} is master, epoch {}", dir_, nodeName(self->nodePath()), epoch);
      if (callbacks_.onMaster) callbacks_.onMaster(epoch);
    } else {
      {
        std::lock_guard lock(mutex_);
        epoch_.reset();
      }
      if (callbacks_.onSecondary) callbacks_.onSecondary(position.predecessor);
    }
  };
  listener.onLost = [this](LossReason reason) {
    {
      std::lock_guard lock(mutex_);
      epoch_.reset();
    }
    if (callbacks_.onLost) callbacks_.onLost(reason);
  };
  member_ = QueueMember::make(session_, dir_, prefix_, data_, std::move(listener));
  return member_;
}

std::shared_ptr<QueueMember> Election::takeMember() {
  std::lock_guard lock(mutex_);
  epoch_.reset();
  return std::move(member_);
}

void Election::abandon() {
  if (auto member = takeMember()) member->abandon();
}

void Election::leave() {
  if (auto member = takeMember()) member->leave();
}

bool Election::isMaster() const {
  std::lock_guard lock(mutex_);
  return epoch_.has_value();
}

std::optional<int64_t> Election::epoch() const {
  std::lock_guard lock(mutex_);
  return epoch_;
}

std::string Election::nodePath() const {
  std::lock_guard lock(mutex_);
  return member_ ? member_->nodePath() : "";
}

std::vector<Election::Member> Election::members(Session& session, const std::string& dir,
                                                const std::string& prefix) {
  std::vector<Member> result;
  auto names = session.children(dir);
  if (!names) return result;
  for (auto& entry : queueOrder(*names, prefix)) {
    auto node = session.get(childPath(dir, entry.name));
    if (!node) continue;  // left while we read
    result.push_back({entry.name, entry.sequence, std::move(node->data)});
  }
  return result;
}

}  // namespace sm::zk

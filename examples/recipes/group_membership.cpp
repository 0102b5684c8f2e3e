#include "examples/recipes/group_membership.hpp"

#include "manager/zk/error.hpp"

namespace sm::recipes {

GroupMembership::GroupMembership(std::shared_ptr<zk::Session> session, std::string dir,
                                 std::string memberPath, Listener listener)
    : session_(std::move(session)),
      dir_(std::move(dir)),
      memberPath_(std::move(memberPath)),
      listener_(std::move(listener)) {}

GroupMembership::~GroupMembership() {
  if (cache_) cache_->stop();
}

void GroupMembership::join(const std::string& data) {
  session_->create(memberPath_, data, zk::CreateMode::Ephemeral);
  cache_ = zk::ChildrenCache::make(
      session_, dir_,
      [listener = listener_](const zk::ChildrenCache::Snapshot& snapshot,
                             const zk::ChildrenCache::Change& change) {
        if (change.added.empty() && change.removed.empty()) return;  // data updates only
        Change out;
        for (const auto& [name, child] : snapshot) out.members.push_back(name);
        out.joined = change.added;
        out.left = change.removed;
        listener(out);
      },
      zk::ChildrenCache::Options{.withData = false});
  cache_->start();
}

void GroupMembership::leave() {
  if (cache_) cache_->stop();
  cache_.reset();
  try {
    session_->remove(memberPath_);
  } catch (const zk::ZkError& e) {
    if (e.code() != zk::Code::NoNode) throw;
  }
}

}  // namespace sm::recipes

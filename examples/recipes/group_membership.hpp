#pragma once
// The slides' group membership ("cluster management"): each member creates an ephemeral child
// named after itself under one persistent directory, and everyone keeps the directory's children
// current (zk::ChildrenCache). A member that dies leaves when its session ends; the others are told.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "manager/zk/children_cache.hpp"
#include "manager/zk/session.hpp"

namespace sm::recipes {

class GroupMembership {
 public:
  struct Change {
    std::vector<std::string> members;  // sorted
    std::vector<std::string> joined;
    std::vector<std::string> left;
  };
  using Listener = std::function<void(const Change&)>;

  // `memberPath` is dir/<name>; the listener runs on the session's dispatcher thread.
  GroupMembership(std::shared_ptr<zk::Session> session, std::string dir, std::string memberPath,
                  Listener listener);
  ~GroupMembership();

  // Creates our ephemeral node (NodeExists when the name is taken) and starts watching.
  void join(const std::string& data);
  // Stops watching and deletes our node.
  void leave();

 private:
  std::shared_ptr<zk::Session> session_;
  std::string dir_;
  std::string memberPath_;
  Listener listener_;
  std::shared_ptr<zk::ChildrenCache> cache_;
};

}  // namespace sm::recipes

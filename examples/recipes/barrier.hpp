#pragma once
// The slides' barrier: whoever raises it creates one ephemeral node; everyone else waits, with an
// exists() watch, until that node is gone (lowered, or its owner's session ended). A barrier nobody
// lowers still falls when its owner dies, because the node is ephemeral.
#include <chrono>
#include <memory>
#include <string>

#include "manager/zk/session.hpp"

namespace sm::recipes {

class Barrier {
 public:
  Barrier(std::shared_ptr<zk::Session> session, std::string path);

  // Creates the barrier node; throws zk::ZkError (NodeExists) when it is already up.
  void raise(const std::string& data);
  // Removes it; a barrier already down is fine.
  void lower();
  bool up();
  // Waits until the node is absent: true when it is (at once if it never was), false when the
  // time is up. Each wake-up asks again; the watch only says that something changed.
  bool waitDown(std::chrono::milliseconds timeout);

 private:
  std::shared_ptr<zk::Session> session_;
  std::string path_;
};

}  // namespace sm::recipes

#pragma once
// Where the reconcile loop leaves its latest ObservedState for the HTTP threads. The mutex only
// guards the pointer swap: the loop never waits for a reader, and readers keep the value they took
// alive for as long as they use it.
#include <memory>
#include <mutex>

#include "manager/observe/observed_state.hpp"

namespace sm::observe {

class StateBoard {
 public:
  void publish(std::shared_ptr<const ObservedState> state) {
    std::lock_guard lock(mutex_);
    current_ = std::move(state);
  }
  // nullptr until the first publish.
  std::shared_ptr<const ObservedState> current() const {
    std::lock_guard lock(mutex_);
    return current_;
  }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const ObservedState> current_;
};

}  // namespace sm::observe

#pragma once
// The slides' FIFO queue: producers add persistent-sequential children ("item-<10 digits>");
// ZooKeeper's sequence gives the order. A consumer takes the lowest child by deleting it: the
// delete succeeds for exactly one consumer, so two consumers never take the same item. Items are
// persistent (the slide makes them ephemeral), so work outlives the producer that queued it.
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "manager/zk/session.hpp"

namespace sm::recipes {

class WorkQueue {
 public:
  struct Item {
    std::string name;  // item-<10 digits>
    std::string data;
  };

  WorkQueue(std::shared_ptr<zk::Session> session, std::string dir, std::string prefix);

  // Adds an item; returns its node's name.
  std::string put(const std::string& data);
  // Takes the oldest item, waiting on the children's watch while the queue is empty (`onWait` is
  // called once when it starts to wait); nullopt when the time is up.
  std::optional<Item> take(std::chrono::milliseconds timeout,
                           const std::function<void()>& onWait = {});

 private:
  std::optional<Item> tryTake(const zk::Watcher& watcher);

  std::shared_ptr<zk::Session> session_;
  std::string dir_;
  std::string prefix_;
};

}  // namespace sm::recipes

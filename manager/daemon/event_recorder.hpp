#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "config/event_data.hpp"
#include "config/layout.hpp"
#include "manager/zk/session.hpp"

namespace sm::daemon {

// The daemon's events (events/event-<seq>, config/event_data.hpp). Recording only appends to a
// queue in memory: the loop writes them, several to a node and a few nodes to a multi(), once it
// has applied the events it took and at the end of a pass, never between a process exit or an
// election change and the role it tells (failover must not wait on an event's write). The queue
// is bounded: while ZooKeeper is out of reach the oldest are dropped (counted, logged once), so
// that an outage cannot grow memory.
class EventRecorder {
 public:
  static constexpr std::size_t kDefaultCapacity = 1000;

  EventRecorder(std::string hostId, std::size_t capacity = kDefaultCapacity);

  // Fills in the time and host when unset.
  void record(config::EventData event);
  // An event of one instance or logical service (uuid may be empty).
  void record(std::string_view kind, const std::string& type, std::optional<std::int64_t> logical,
              const std::string& uuid, std::string message);

  // Writes what is queued, one multi() per batch, while connected; what could not be written stays
  // queued for the next flush. Returns how many events were written; throws nothing.
  std::size_t flush(zk::Session& session, const config::Layout& layout);

  std::size_t pending() const;
  std::uint64_t dropped() const;
  std::uint64_t written() const;

 private:
  const std::string hostId_;
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<config::EventData> queue_;
  std::uint64_t dropped_ = 0;
  std::uint64_t written_ = 0;
  bool dropLogged_ = false;
};

}  // namespace sm::daemon

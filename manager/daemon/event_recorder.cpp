#include "manager/daemon/event_recorder.hpp"

#include <spdlog/spdlog.h>

#include <vector>

#include "manager/daemon/context.hpp"
#include "manager/zk/error.hpp"
#include "manager/zk/op.hpp"

namespace sm::daemon {

namespace {
// Events per node: a flush's events share nodes, so that a burst (3,000 placements, 7,000
// events) costs a few hundred nodes, not thousands. Each event is at most about 1.2 kB (the
// message is shortened), so a node stays far below ZooKeeper's 1 MB; retention counts nodes.
constexpr std::size_t kEventsPerNode = 25;
// Events per multi(): four nodes.
constexpr std::size_t kBatch = 4 * kEventsPerNode;
// A flush writes at most this many batches, so that a backlog cannot hold the loop for long.
constexpr std::size_t kBatchesPerFlush = 4;
// An exit message or a reason may be long (a process's last words): events stay small.
constexpr std::size_t kMaxMessageBytes = 1024;

std::string shortened(std::string message) {
  if (message.size() <= kMaxMessageBytes) return message;
  message.resize(kMaxMessageBytes);
  // Not in the middle of a UTF-8 sequence.
  while (!message.empty() && (static_cast<unsigned char>(message.back()) & 0xC0) == 0x80) {
    message.pop_back();
  }
  if (!message.empty() && (static_cast<unsigned char>(message.back()) & 0x80)) message.pop_back();
  return message + "...";
}
}  // namespace

EventRecorder::EventRecorder(std::string hostId, std::size_t capacity)
    : hostId_(std::move(hostId)), capacity_(capacity == 0 ? 1 : capacity) {}

void EventRecorder::record(config::EventData event) {
  if (event.time == 0) event.time = wallNowMs();
  if (event.host.empty()) event.host = hostId_;
  event.message = shortened(std::move(event.message));
  std::lock_guard lock(mutex_);
  if (queue_.size() >= capacity_) {
    queue_.pop_front();
    ++dropped_;
    if (!dropLogged_) {
      dropLogged_ = true;
      spdlog::warn(
          "event queue full ({} events not written yet): dropping the oldest until "
          "ZooKeeper takes them again",
          capacity_);
    }
  }
  queue_.push_back(std::move(event));
}

void EventRecorder::record(std::string_view kind, const std::string& type,
                           std::optional<std::int64_t> logical, const std::string& uuid,
                           std::string message) {
  config::EventData event;
  event.kind = std::string(kind);
  event.type = type;
  event.logical = logical;
  event.uuid = uuid;
  event.message = std::move(message);
  record(std::move(event));
}

std::size_t EventRecorder::flush(zk::Session& session, const config::Layout& layout) {
  std::size_t total = 0;
  for (std::size_t round = 0; round < kBatchesPerFlush; ++round) {
    if (!session.connected()) break;
    std::vector<zk::Op> ops;
    std::size_t taken = 0;
    {
      std::lock_guard lock(mutex_);
      if (queue_.empty()) break;
      taken = std::min(kBatch, queue_.size());
      for (std::size_t first = 0; first < taken; first += kEventsPerNode) {
        const auto last = std::min(first + kEventsPerNode, taken);
        const std::vector<config::EventData> node(
            queue_.begin() + static_cast<std::ptrdiff_t>(first),
            queue_.begin() + static_cast<std::ptrdiff_t>(last));
        ops.push_back(zk::Op::create(layout.eventPrefix(), config::encodeEvents(node),
                                     zk::CreateMode::PersistentSequential));
      }
    }
    bool refused = false;
    try {
      session.multi(ops);
    } catch (const zk::MultiError& e) {
      if (e.code() == zk::Code::NoNode) {
        // events/ was removed (by hand): made again, the batch waits for the next flush.
        try {
          session.ensurePath(layout.eventsDir());
        } catch (const zk::ZkError&) {
        }
        break;
      }
      // Refused for good (an ACL, say): dropped rather than retried for ever.
      spdlog::warn("cannot write {} events to {}: {}; dropped", taken, layout.eventsDir(),
                   e.what());
      refused = true;
    } catch (const zk::ZkError&) {
      break;  // a connection loss or an expired session: kept for the next flush
    }
    std::lock_guard lock(mutex_);
    // record() and flush() both run on the loop's thread: the front is still what was written.
    const auto n = std::min(taken, queue_.size());
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
    if (refused) {
      dropped_ += n;
      continue;
    }
    written_ += n;
    total += n;
    if (dropLogged_) {
      spdlog::info("event queue draining again ({} events dropped so far)", dropped_);
      dropLogged_ = false;
    }
  }
  return total;
}

std::size_t EventRecorder::pending() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}
std::uint64_t EventRecorder::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}
std::uint64_t EventRecorder::written() const {
  std::lock_guard lock(mutex_);
  return written_;
}

}  // namespace sm::daemon
